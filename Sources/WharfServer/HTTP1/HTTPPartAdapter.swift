import NIOCore
import NIOHTTP1

/// Wraps NIO's decoded request parts as ``HTTP1Input`` for ``HTTP1Handler``; it sits behind NIO's
/// decoder once ``FastRequestDecoder`` has handed a connection over to it.
final class HTTPPartAdapter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTP1Input

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.part(unwrapInboundIn(data))))
    }
}
