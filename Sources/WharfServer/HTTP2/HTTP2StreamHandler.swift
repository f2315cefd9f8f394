import NIOCore
import NIOHTTP1
import NIOHTTP2

/// One HTTP/2 stream, seen through `HTTP2FramePayloadToHTTP1ServerCodec` as an HTTP/1-style
/// request. Uses the same responder as HTTP/1.1 and the precomputed header lists.
final class HTTP2StreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Body writes are issued in slices of this size, so a stalled reader is noticed per slice.
    static let sliceBytes = 64 * 1024

    private let services: ServerServices
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var done = false
    private var remote = "-"
    private var client: SocketAddress?
    /// The site table, re-read only when the catalog changed (as on HTTP/1).
    private var table: TableCache

    init(services: ServerServices) {
        self.services = services
        self.table = TableCache(site: services.responder.site)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        client = context.channel.parent?.remoteAddress
        if services.accessLog != nil, let ip = client?.ipAddress { remote = ip }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            if h.uri.utf8.count > services.config.limits.maxURIBytes {
                respond(context, h, .text(.uriTooLong, "request-target too long"), start: .now())
            }
        case .body(let b):
            bodyBytes += b.readableBytes
            if bodyBytes > services.config.limits.maxRequestBodyBytes, let h = head {
                respond(context, h, .text(.payloadTooLarge, "request body too large"), start: .now())
            }
        case .end:
            guard let h = head else { return }
            let start = NIODeadline.now()
            var fields = RequestFields(h.headers)
            fields.client = client
            switch services.responder.respond(h, fields, table: table.current(), on: context.eventLoop) {
            case .ready(let reply):
                respond(context, h, reply, start: start)
            case .pending(let future):
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                future.whenComplete { result in
                    let (handler, context) = bound.value
                    let reply: Reply
                    switch result {
                    case .success(let r): reply = r
                    case .failure: reply = .text(.internalServerError, "internal error")
                    }
                    handler.respond(context, h, reply, start: start)
                }
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ reply: Reply, start: NIODeadline) {
        guard !done else { return }
        done = true
        var headers = reply.h2Fields ?? HTTPHeaders(reply.fields.map { ($0.0.lowercased(), $0.1) })
        headers.add(name: "date", value: DateCache.current.date)
        let head = HTTPResponseHead(version: .http2, status: reply.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        services.recordRequest(head: request, reply: reply, start: start, remote: remote, http: "HTTP/2")
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        guard reply.sendBody else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let pool = services.pool.threadPool
        let stall = SendStallWatch(context: context, timeout: .nanoseconds(Int64(services.config.limits.idleTimeout * 1e9)))
        var chain = context.eventLoop.makeSucceededVoidFuture()
        for segment in reply.body {
            switch segment {
            case .bytes(let b):
                // Slices (no copy) so progress is seen per slice, not once per whole body.
                var rest = b
                while rest.readableBytes > 0 {
                    let slice = rest.readSlice(length: min(Self.sliceBytes, rest.readableBytes))!
                    chain = chain.flatMap {
                        loopBound.value.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(slice))))
                            .map { stall.progress() }
                    }
                }
            case .file(let file, let offset, let length):
                chain = chain.flatMap {
                    FileStreamer.stream(file, offset: offset, length: length, pool: pool,
                                        eventLoop: loopBound.value.eventLoop) { buffer in
                        loopBound.value.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))))
                            .map { stall.progress() }
                    }
                }
            }
        }
        chain.whenComplete { result in
            stall.stop()
            let context = loopBound.value
            switch result {
            case .success: context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            case .failure: context.close(promise: nil)
            }
        }
    }
}

/// Resets a stream whose client stops reading (a zero flow-control window, or a TCP window that
/// never opens): no body write may go `timeout` without completing, as HTTP/1.1's send timeout.
/// Closing the stream channel sends RST_STREAM and frees what it holds; with no stream left, the
/// connection's idle timer closes it too.
private final class SendStallWatch: @unchecked Sendable {
    // Touched only on the stream's event loop.
    private var last: NIODeadline = .now()
    private var task: RepeatedTask?

    init(context: ChannelHandlerContext, timeout: TimeAmount) {
        let channel = context.channel
        let tick = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 1_000_000))
        task = context.eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { [weak self] task in
            guard let self else { return task.cancel() }
            if NIODeadline.now() - self.last > timeout {
                task.cancel()
                channel.close(promise: nil)
            }
        }
    }

    func progress() { last = .now() }

    func stop() {
        task?.cancel()
        task = nil
    }
}
