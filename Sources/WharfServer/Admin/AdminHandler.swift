import NIOCore
import NIOHTTP1

/// The admin listener: `/healthz` (the process answers), `/readyz` (the catalog is loaded and
/// the public listener is up; 503 while starting or draining) and `/metrics` (Prometheus text).
/// Not a hot path, so it uses NIO's standard HTTP/1 server pipeline.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: ServerMetrics
    private let isReady: @Sendable () -> Bool
    private var head: HTTPRequestHead?

    init(metrics: ServerMetrics, isReady: @escaping @Sendable () -> Bool) {
        self.metrics = metrics
        self.isReady = isReady
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let h = head else { return }
            head = nil
            let start = NIODeadline.now()
            let (status, type, body) = route(h)
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: String(buffer.readableBytes))
            headers.add(name: "Cache-Control", value: "no-store")
            headers.add(name: "Date", value: DateCache.current.date)
            if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
            if !h.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: status, headers: headers))), promise: nil)
            if h.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
            let keepAlive = h.isKeepAlive
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { loopBound.value.close(promise: nil) }
            }
            metrics.record(route: .admin, status: status.code, bodyBytes: body.count, nanoseconds: (NIODeadline.now() - start).nanoseconds)
        }
    }

    private func route(_ h: HTTPRequestHead) -> (HTTPResponseStatus, String, [UInt8]) {
        guard h.method == .GET || h.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", Array("method not allowed\n".utf8))
        }
        let path = h.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? h.uri
        switch path {
        case "/healthz":
            return (.ok, "text/plain; charset=utf-8", Array("ok\n".utf8))
        case "/readyz":
            return isReady()
                ? (.ok, "text/plain; charset=utf-8", Array("ready\n".utf8))
                : (.serviceUnavailable, "text/plain; charset=utf-8", Array("not ready\n".utf8))
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.render())
        default:
            return (.notFound, "text/plain; charset=utf-8", Array("not found\n".utf8))
        }
    }
}
