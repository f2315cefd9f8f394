import NIOCore

/// Sits in a TLS connection's pipeline until ALPN has chosen a protocol: a shutdown that starts
/// during the handshake closes the connection (no request can be in flight yet) instead of the
/// event being lost before the protocol's own handler exists.
final class CloseOnQuiesce: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
