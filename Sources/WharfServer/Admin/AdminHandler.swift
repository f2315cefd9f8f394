import NIOCore
import NIOHTTP1

/// The admin listener: `/healthz` (the process answers), `/readyz` (the catalog is loaded and
/// the public listener is up; 503 while starting or draining), `/metrics` (Prometheus text) and
/// the purge API (``PurgeAPI``). Not a hot path, so it uses NIO's standard HTTP/1 server
/// pipeline; requests on one connection are answered in order.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: ServerMetrics
    private let isReady: @Sendable () -> Bool
    private let purge: PurgeAPI
    private let maxBodyBytes: Int
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(metrics: ServerMetrics, purge: PurgeAPI, maxBodyBytes: Int, isReady: @escaping @Sendable () -> Bool) {
        self.metrics = metrics
        self.purge = purge
        self.maxBodyBytes = maxBodyBytes
        self.isReady = isReady
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            tooLarge = false
            if let length = h.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBodyBytes {
                tooLarge = true
            }
        case .body(var chunk):
            guard !tooLarge else { return }
            if body.count + chunk.readableBytes > maxBodyBytes {
                tooLarge = true
                body = []
                return
            }
            body += chunk.readBytes(length: chunk.readableBytes) ?? []
        case .end:
            guard let h = head else { return }
            head = nil
            let start = NIODeadline.now()
            let (path, query) = Self.split(h.uri)
            if tooLarge {
                // The body was not kept; answer and close rather than read the rest of a flood.
                write(context, h, .error(.payloadTooLarge, "request body over \(maxBodyBytes) bytes"), start: start, close: true)
                return
            }
            guard PurgeAPI.owns(path) else {
                write(context, h, route(h, path: path), start: start, close: false)
                return
            }
            // The purge API awaits the journal; reading pauses until the answer is written, so
            // pipelined requests keep their order.
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let purge = self.purge, requestBody = body
            body = []
            let promise = context.eventLoop.makePromise(of: PurgeAPI.Answer.self)
            promise.completeWithTask { await purge.handle(h, path: path, query: query, body: requestBody) }
            promise.futureResult.whenSuccess { answer in
                let (handler, context) = bound.value
                handler.write(context, h, answer, start: start, close: false)
                context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            }
        }
    }

    private static func split(_ uri: String) -> (String, String?) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : nil)
    }

    private func write(_ context: ChannelHandlerContext, _ h: HTTPRequestHead, _ answer: PurgeAPI.Answer,
                       start: NIODeadline, close: Bool) {
        var buffer = context.channel.allocator.buffer(capacity: answer.body.count)
        buffer.writeBytes(answer.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Date", value: DateCache.current.date)
        for (name, value) in answer.fields { headers.add(name: name, value: value) }
        let keepAlive = h.isKeepAlive && !close
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: answer.status, headers: headers))), promise: nil)
        if h.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { loopBound.value.close(promise: nil) }
        }
        metrics.record(route: .admin, status: answer.status.code, bodyBytes: answer.body.count,
                       nanoseconds: (NIODeadline.now() - start).nanoseconds)
    }

    private func route(_ h: HTTPRequestHead, path: String) -> PurgeAPI.Answer {
        let text = "text/plain; charset=utf-8"
        guard h.method == .GET || h.method == .HEAD else {
            var a = PurgeAPI.Answer(status: .methodNotAllowed, fields: [("Allow", "GET, HEAD")], body: Array("method not allowed\n".utf8))
            a.contentType = text
            return a
        }
        var answer: PurgeAPI.Answer
        switch path {
        case "/healthz":
            answer = .init(status: .ok, body: Array("ok\n".utf8))
        case "/readyz":
            answer = isReady() ? .init(status: .ok, body: Array("ready\n".utf8))
                : .init(status: .serviceUnavailable, body: Array("not ready\n".utf8))
        case "/metrics":
            answer = .init(status: .ok, body: metrics.render())
            answer.contentType = "text/plain; version=0.0.4; charset=utf-8"
            return answer
        default:
            answer = .init(status: .notFound, body: Array("not found\n".utf8))
        }
        answer.contentType = text
        return answer
    }
}
