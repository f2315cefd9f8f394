import NIOCore
import NIOHTTP1
import NIOHTTP2

/// One HTTP/2 stream, seen through `HTTP2FramePayloadToHTTP1ServerCodec` as an HTTP/1-style
/// request. Uses the same responder as HTTP/1.1 and the precomputed header lists.
final class HTTP2StreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let services: ServerServices
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var done = false
    private var remote = "-"
    /// The site table, re-read only when the catalog changed (as on HTTP/1).
    private var table: TableCache

    init(services: ServerServices) {
        self.services = services
        self.table = TableCache(site: services.responder.site)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if services.accessLog != nil, let ip = context.channel.parent?.remoteAddress?.ipAddress { remote = ip }
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
            switch services.responder.respond(h, RequestFields(h.headers), table: table.current(), on: context.eventLoop) {
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
        var chain = context.eventLoop.makeSucceededVoidFuture()
        for segment in reply.body {
            chain = chain.flatMap {
                let context = loopBound.value
                switch segment {
                case .bytes(let b):
                    return context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(b))))
                case .file(let file, let offset, let length):
                    return FileStreamer.stream(file, offset: offset, length: length, pool: pool,
                                               eventLoop: context.eventLoop) { buffer in
                        loopBound.value.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))))
                    }
                }
            }
        }
        chain.whenComplete { result in
            let context = loopBound.value
            switch result {
            case .success: context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            case .failure: context.close(promise: nil)
            }
        }
    }
}
