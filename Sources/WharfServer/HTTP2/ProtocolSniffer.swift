import NIOCore

/// Plaintext listener: decides between HTTP/1.1 and HTTP/2 with prior knowledge (h2c) from the
/// first bytes. A client speaking h2c starts with the fixed connection preface
/// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`; anything that diverges from it is HTTP/1.
final class ProtocolSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private var buffered: ByteBuffer?
    private let configureHTTP1: (any Channel) throws -> Void
    private let configureHTTP2: (any Channel) throws -> Void

    init(http1: @escaping (any Channel) throws -> Void, http2: @escaping (any Channel) throws -> Void) {
        self.configureHTTP1 = http1
        self.configureHTTP2 = http2
    }

    /// Shutting down before the client said anything: nothing is in flight, close now.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        let bytes = buffered!.readableBytesView
        let n = min(bytes.count, Self.preface.count)
        let matches = bytes.prefix(n).elementsEqual(Self.preface.prefix(n))
        if matches && n < Self.preface.count { return } // undecided: wait for more bytes
        do {
            try (matches ? configureHTTP2 : configureHTTP1)(context.channel)
        } catch {
            context.close(promise: nil)
            return
        }
        let data = buffered!
        buffered = nil
        context.fireChannelRead(wrapInboundOut(data))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
