#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import WharfHTTP

/// The HTTP/1.1 connection handler. It receives decoded requests — whole from
/// ``FastRequestDecoder``, in parts from NIO's `HTTPRequestDecoder` — but writes responses itself
/// as raw bytes — no response encoder — so a hot static response is one prebuilt buffer behind a
/// cached status-and-Date prefix. Pipelined requests are answered
/// in order; requests that need blocking work hold the ones behind them.
final class HTTP1Handler: ChannelInboundHandler {
    typealias InboundIn = HTTP1Input
    typealias OutboundOut = IOData

    private let services: ServerServices
    private let clock: ConnectionClock
    private let isTLS: Bool

    /// The request being read (head received, waiting for its end).
    private var reading: HTTPRequestHead?
    /// The fields of the request being read.
    private var readingFields = RequestFields()
    /// Complete requests waiting for the one in front to be answered.
    private var queue = CircularBuffer<(HTTPRequestHead, RequestFields)>(initialCapacity: 4)
    /// A response is being produced or streamed asynchronously.
    private var busy = false
    private var closing = false
    private var quiescing = false
    private var readPaused = false
    private var remote: String = "-"
    /// Read once: the key of the per-client transform limit.
    private var client: SocketAddress?
    /// This handler's context, for requests the fast decoder hands over by a direct call.
    private var context: ChannelHandlerContext?
    /// The channel's writability, kept from its change events: asking the channel goes through the
    /// pipeline and an existential per request.
    private var writable = true
    /// The channel's synchronous options, for setting `TCP_CORK` (read once per connection).
    private var syncOptions: (any NIOSynchronousChannelOptions)?
    private var table: TableCache
    /// The event loop's date cache (a handler never changes threads).
    private var dates: DateCache!
    /// A tracked response (a file) is still being sent: the connection idles once it has left.
    private var sendingTracked = false
    private var requestsServed = 0
    private var draining = false
    /// A request with a body was queued as the connection's last: nothing after its head is read.
    private var ignoringInput = false

    init(services: ServerServices, clock: ConnectionClock, isTLS: Bool) {
        self.services = services
        self.clock = clock
        self.isTLS = isTLS
        self.table = TableCache(site: services.responder.site)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        writable = context.channel.isWritable
        dates = DateCache.current
        client = context.channel.remoteAddress
        syncOptions = context.channel.syncOptions
        if services.accessLog != nil, let addr = client {
            remote = addr.ipAddress ?? "-"
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        // A strong capture, not `weak self`: the cycle (handler → clock → closure) is broken by
        // `clock.detach()` in `handlerRemoved`, and a weak reference would move this handler's
        // reference count to a side table, making every retain and release of it a slow one.
        clock.onTimeout = { phase in
            let context = loopBound.value
            switch phase {
            case .idle:
                self.closing = true
                context.close(promise: nil)
            case .sending:
                // A client that stopped reading its response (nginx's send_timeout). Reset, not
                // FIN (nginx's reset_timedout_connection): a graceful close would leave the kernel
                // holding the unsent megabytes for an orphaned socket the client still drips from.
                self.closing = true
                if let socket = context.channel as? any SocketOptionProvider {
                    socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in loopBound.value.close(promise: nil) }
                } else {
                    context.close(promise: nil)
                }
            case .head:
                self.writeAndClose(context, .text(.requestTimeout, "request header timeout", close: true))
            case .busy:
                break
            }
        }
        clock.attach(context.eventLoop)
        clock.enterIdle()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        clock.detach()
    }

    /// A whole request from ``FastRequestDecoder`` (its fields carry the client): checked and
    /// answered without a stop in `reading`.
    func received(_ head: HTTPRequestHead, _ fields: RequestFields) {
        guard let context, !closing, !ignoringInput else { return }
        if admits(context, head, fields) { answer(context, head, fields) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, !ignoringInput else { return }
        switch unwrapInboundIn(data) {
        case .request(let head, let fields):
            // From a decoder without a sink (as in unit tests).
            received(head, fields)
        case .part(.head(let head)):
            reading = head
            readingFields = RequestFields(head.headers, keepingUserAgent: services.accessLog != nil)
            readingFields.client = client
            _ = admits(context, head, readingFields)
        case .part(.body):
            break // never reached: a request with a body stops the reading at its head
        case .part(.end):
            guard let head = reading else { return }
            reading = nil
            answer(context, head, readingFields)
        }
    }

    /// A request head: checks what can be refused from it alone. Returns false when the request
    /// has been answered already (or will be, as the connection's last).
    private func admits(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ fields: RequestFields) -> Bool {
        if head.uri.utf8.count > services.config.limits.maxURIBytes {
            writeAndClose(context, .text(.uriTooLong, "request-target too long", close: true))
            return false
        }
        if head.method == .CONNECT || fields.isUpgrade {
            // NIO's decoder stops parsing after an upgrade or CONNECT; we support neither, so
            // answer and close rather than leave a connection that reads nothing more.
            writeAndClose(context, .text(head.method == .CONNECT ? .methodNotAllowed : .badRequest,
                                         head.method == .CONNECT ? "CONNECT is not supported" : "protocol upgrade is not supported",
                                         extra: head.method == .CONNECT ? [("Allow", StaticResponder.allow)] : [], close: true))
            return false
        }
        if fields.hasBody {
            // Nothing here takes a body (GET, HEAD and OPTIONS need none; other methods get
            // 405). So a body is never read: the request is answered as the connection's last
            // and nothing after its head is parsed — no Content-Length / Transfer-Encoding /
            // chunk-size trick can make the bytes after it count as a request.
            var last = head
            last.headers.replaceOrAdd(name: "Connection", value: "close")
            var lastFields = fields
            lastFields.persistence = .close
            reading = nil
            ignoringInput = true
            _ = context.channel.setOption(ChannelOptions.autoRead, value: false)
            clock.headComplete()
            queue.append((last, lastFields))
            drain(context)
            return false
        }
        clock.headComplete()
        return true
    }

    /// A complete request: answered now, or queued behind the ones in front.
    private func answer(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ fields: RequestFields) {
        if queue.isEmpty, !busy, !draining, writable {
            // Nothing pipelined ahead (the common case): answered at once, without the copy of
            // the head and fields into the queue and back out.
            draining = true
            handle(context, head, fields)
            draining = false
            drain(context) // idles, or closes when quiescing, as after any answer
            return
        }
        queue.append((head, fields))
        let limit = services.config.limits.maxPipelinedRequests
        if queue.count > limit * 4 {
            // Far more read-ahead than allowed even with reading paused: an abusive client.
            closing = true
            context.close(promise: nil)
            return
        }
        if queue.count >= limit && !readPaused {
            // Stop reading until the backlog is answered (TCP backpressure on the client).
            readPaused = true
            _ = context.channel.setOption(ChannelOptions.autoRead, value: false)
        }
        drain(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable {
            if clock.phase == .sending { clock.headComplete() }
            drain(context)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Answers queued requests in order, in a loop (never by recursion), while nothing is in
    /// flight asynchronously and the client is reading what we send.
    private func drain(_ context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !busy, !closing, let (head, fields) = queue.first {
            guard writable else {
                // The client is not reading: hold further requests, and close if it stays so.
                clock.sending()
                return
            }
            queue.removeFirst()
            if readPaused && queue.count <= services.config.limits.maxPipelinedRequests / 2 {
                readPaused = false
                _ = context.channel.setOption(ChannelOptions.autoRead, value: true)
            }
            handle(context, head, fields)
        }
        guard !busy, !closing, queue.isEmpty else { return }
        if quiescing {
            closeAfterWrites(context)
        } else if reading == nil {
            goIdle(context)
        }
    }

    /// The idle clock starts once tracked responses (files) have left, and at once for prebuilt
    /// ones (nginx's send_timeout semantics: a client that does not read is cut after idle_timeout).
    /// (For a tracked response still in flight, the callback `send` registered starts it.)
    private func goIdle(_ context: ChannelHandlerContext) {
        if sendingTracked {
            clock.sending()
        } else {
            clock.enterIdle()
        }
    }

    /// Answers one complete request; sets `busy` while an answer is produced asynchronously.
    private func handle(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ fields: RequestFields) {
        let start = NIODeadline.now()
        requestsServed &+= 1
        let keepAlive = fields.isKeepAlive(head) && !quiescing
        let table = self.table.current()
        if keepAlive, let v = services.responder.hotVariant(head, fields, table: table, files: !isTLS) {
            // The hot path, with no reply built: a 200 from memory is its variant's prebuilt bytes;
            // one from disk is its prebuilt head and the file.
            if v.memoryBody == nil {
                writeFile200(context, v)
            } else {
                writeMemory200(context, v)
            }
            services.recordHit(head: head, variant: v, start: start, remote: remote, userAgent: fields.userAgent)
            return
        }
        switch services.responder.respond(head, fields, table: table, on: context.eventLoop) {
        case .ready(let reply):
            send(context, head, reply, keepAlive: keepAlive, start: start, userAgent: fields.userAgent)
        case .pending(let future):
            busy = true
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            future.whenComplete { result in
                let handler = bound.value
                handler.busy = false
                guard !handler.closing, let context = handler.context else { return }
                let reply: Reply
                switch result {
                case .success(let r): reply = r
                case .failure: reply = .text(.internalServerError, "internal error")
                }
                handler.send(context, head, reply, keepAlive: keepAlive, start: start, userAgent: fields.userAgent)
                handler.drain(context)
            }
        }
    }

    /// Writes a reply. A body that fails half-way (its headers already sent) closes the
    /// connection: the client must not read the next response as the rest of this one.
    private func send(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ reply: Reply, keepAlive: Bool, start: NIODeadline,
                      userAgent: String?) {
        let close = reply.close || !keepAlive
        let streamsFile = reply.sendBody && reply.body.contains { if case .file = $0 { return true } else { return false } }
        // Completion is tracked only where something waits for it (closing, streaming a file);
        // a prebuilt response is fire-and-forget.
        let done = write(context, head, reply, close: close, track: close || streamsFile)
        services.recordRequest(head: head, reply: reply, start: start, remote: remote, http: head.version.minor == 0 ? "HTTP/1.0" : "HTTP/1.1",
                               userAgent: userAgent)
        if close {
            closing = true
            clock.sending() // a client that never reads the last response is still cut off
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done?.whenComplete { _ in loopBound.value.close(promise: nil) }
            return
        }
        guard let done else { return }
        sendingTracked = true
        let served = requestsServed
        let async = bodyIsAsync(reply)
        if async { busy = true }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        done.whenComplete { result in bound.value.trackedResponseEnded(result, served: served, async: async) }
    }

    /// The end of a tracked response (`served`: the request count when it was answered) on a
    /// connection that stays open. A failure closes. Otherwise, when it was the last response and
    /// nothing came after it, the connection idles (`goIdle` left it sending); after a body read
    /// on the pool (`async`), the requests held behind it are answered.
    private func trackedResponseEnded(_ result: Result<Void, any Error>, served: Int, async: Bool) {
        if requestsServed == served { sendingTracked = false }
        if async { busy = false }
        guard let context else { return }
        if case .failure = result {
            closing = true
            context.close(promise: nil)
            return
        }
        if async {
            drain(context)
        } else if requestsServed == served, reading == nil, !busy, !closing, queue.isEmpty {
            clock.enterIdle()
        }
    }

    /// Closes once everything written so far has been sent (writes complete in order).
    private func closeAfterWrites(_ context: ChannelHandlerContext) {
        closing = true
        clock.sending()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer()))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }

    /// Whether the body goes out through reads on the blocking pool (TLS + file).
    private func bodyIsAsync(_ reply: Reply) -> Bool {
        guard isTLS, reply.sendBody, !reply.prebuiltIncludesBody else { return false }
        return reply.body.contains { if case .file = $0 { return true } else { return false } }
    }

    /// Serializes and writes. Returns a future for the end of the response.
    @discardableResult
    private func write(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ reply: Reply, close: Bool,
                       track: Bool = true) -> EventLoopFuture<Void>? {
        let code = reply.status.code
        if !close, !track, head.version.minor >= 1, reply.prebuiltIncludesBody, let v = reply.variant {
            writeMemory200(context, v)
            return nil
        }
        if !close, head.version.minor >= 1, !reply.prebuiltIncludesBody, let v = reply.variant {
            // A file's 200: its cached head; the file follows.
            write200(context, v)
        } else if let prebuilt = reply.prebuilt, !close, head.version.minor >= 1, let prefix = dates.prefix(for: code) {
            context.write(wrapOutboundOut(.byteBuffer(prefix)), promise: nil)
            if !reply.sendBody || reply.prebuiltIncludesBody {
                // The whole response is these two buffers: the hot path.
                let p = track ? context.eventLoop.makePromise(of: Void.self) : nil
                context.writeAndFlush(wrapOutboundOut(.byteBuffer(prebuilt)), promise: p)
                return p?.futureResult
            }
            context.write(wrapOutboundOut(.byteBuffer(prebuilt)), promise: nil)
        } else {
            var out = ByteBuffer()
            out.reserveCapacity(256)
            out.writeString("HTTP/1.1 \(code) \(reply.status.reasonPhrase)\r\nDate: ")
            out.writeString(dates.date)
            out.writeStaticString("\r\n")
            if close {
                out.writeStaticString("Connection: close\r\n")
            } else if head.version.minor == 0 {
                out.writeStaticString("Connection: keep-alive\r\n")
            }
            context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
            if let prebuilt = reply.prebuilt {
                context.write(wrapOutboundOut(.byteBuffer(prebuilt)), promise: nil)
            } else {
                context.write(wrapOutboundOut(.byteBuffer(PreparedVariant.serialize(reply.fields))), promise: nil)
            }
        }
        guard reply.sendBody, !reply.prebuiltIncludesBody else {
            guard track else {
                context.flush()
                return nil
            }
            let p = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: p)
            return p.futureResult
        }
        return writeBody(context, reply.body)
    }

    /// A variant's 200 as cached for the current second — status line, `Date`, header block, and
    /// the body when it is held in memory — queued, not flushed: one buffer for small variants,
    /// the status-and-Date prefix and the variant's prebuilt bytes for the others.
    private func write200(_ context: ChannelHandlerContext, _ v: PreparedVariant) {
        if let whole = dates.whole200(v) {
            context.write(wrapOutboundOut(.byteBuffer(whole)), promise: nil)
            return
        }
        context.write(wrapOutboundOut(.byteBuffer(dates.prefix200)), promise: nil)
        context.write(wrapOutboundOut(.byteBuffer(v.http1Full200)), promise: nil)
    }

    /// A full 200 of an in-memory variant on a connection that stays open.
    private func writeMemory200(_ context: ChannelHandlerContext, _ v: PreparedVariant) {
        write200(context, v)
        context.flush()
    }

    /// A full 200 of a file variant on a plaintext connection that stays open: its cached head,
    /// then the file as `writeBody` sends it, whose end is the response's (one callback, where a
    /// general-path reply takes two: `writeBody`'s and `send`'s).
    private func writeFile200(_ context: ChannelHandlerContext, _ v: PreparedVariant) {
        write200(context, v)
        sendingTracked = true
        _ = writeBody(context, v.segments(), endsResponse: requestsServed)
    }

    /// Queues and flushes a body; returns its end.
    ///
    /// - Parameter served: plaintext only (the hot path's files): the body's end is the end of that
    ///   tracked response (see ``trackedResponseEnded(_:served:async:)``), from the uncork's callback.
    private func writeBody(_ context: ChannelHandlerContext, _ segments: [BodySegment],
                           endsResponse served: Int? = nil) -> EventLoopFuture<Void> {
        if !isTLS {
            // Plaintext: everything is queued now, files go out with sendfile. While a file is
            // being sent the socket is corked (nginx's tcp_nopush): the kernel then sends full
            // segments instead of whatever fits each time the socket turns writable. Writes
            // complete in order, and a failed one fails those behind it, so the last write's
            // promise is the response's, and one callback ends it.
            let done = context.eventLoop.makePromise(of: Void.self)
            var first: BorrowedFileHandle?
            var more: [BorrowedFileHandle] = []
            for (i, segment) in segments.enumerated() {
                let promise = i == segments.count - 1 ? done : nil
                switch segment {
                case .bytes(let b):
                    context.write(wrapOutboundOut(.byteBuffer(b)), promise: promise)
                case .file(let file, let offset, let length):
                    let handle = BorrowedFileHandle(file)
                    if first == nil {
                        setCork(context, true) // before the flush: the head waits for the file
                        first = handle
                    } else {
                        more.append(handle)
                    }
                    let region = FileRegion(fileHandle: handle.handle, readerIndex: offset, endIndex: offset + length)
                    context.write(wrapOutboundOut(.fileRegion(region)), promise: promise)
                }
            }
            context.flush()
            if segments.isEmpty { done.succeed(()) }
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            guard let first else {
                if let served {
                    done.futureResult.whenComplete { bound.value.trackedResponseEnded($0, served: served, async: false) }
                }
                return done.futureResult
            }
            done.futureResult.whenComplete { result in
                // Sent or failed: the descriptors go back to their files, and uncorking sends
                // the last partial segment.
                withExtendedLifetime((first, more)) {}
                let handler = bound.value
                if let context = handler.context { handler.setCork(context, false) }
                if let served { handler.trackedResponseEnded(result, served: served, async: false) }
            }
            return done.futureResult
        }
        // TLS: sendfile is impossible; memory segments are written, file segments read in chunks.
        assert(served == nil, "a TLS body's end is tracked by send (it is read on the pool)")
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let pool = services.pool.threadPool
        var chain: EventLoopFuture<Void> = context.eventLoop.makeSucceededVoidFuture()
        for segment in segments {
            chain = chain.flatMap {
                let context = bound.value
                switch segment {
                case .bytes(let b):
                    return context.writeAndFlush(NIOAny(IOData.byteBuffer(b)))
                case .file(let file, let offset, let length):
                    return FileStreamer.stream(file, offset: offset, length: length, pool: pool,
                                               eventLoop: context.eventLoop) { buffer in
                        bound.value.writeAndFlush(NIOAny(IOData.byteBuffer(buffer)))
                    }
                }
            }
        }
        context.flush()
        return chain
    }

    private static let corkOption = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_CORK))

    /// Twice per file response, through the options read once per connection: the
    /// socket-option provider's `unsafeSetSocketOption` makes a promise and a future per call.
    private func setCork(_ context: ChannelHandlerContext, _ on: Bool) {
        try? syncOptions?.setOption(Self.corkOption, value: on ? 1 : 0)
    }

    /// Answers a protocol error (when nothing else is in flight) and closes.
    private func writeAndClose(_ context: ChannelHandlerContext, _ reply: Reply) {
        guard !closing else { return }
        closing = true
        clock.sending() // the error response gets idle_timeout to be read, then the connection goes
        if busy || !queue.isEmpty {
            context.close(promise: nil)
            return
        }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "-")
        var reply = reply
        reply.close = true
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        write(context, head, reply, close: true)?.whenComplete { _ in loopBound.value.close(promise: nil) }
        services.recordRequest(head: head, reply: reply, start: .now(), remote: remote, http: "HTTP/1.1")
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parse = error as? HTTPParserError {
            // The bytes after a queued last request are not ours to judge: it is answered, then the
            // connection closes.
            if ignoringInput { return }
            switch parse {
            case .headerOverflow:
                writeAndClose(context, .text(.requestHeaderFieldsTooLarge, "request header too large", close: true))
            case .invalidURL:
                writeAndClose(context, .text(.badRequest, "bad request-target", close: true))
            default:
                writeAndClose(context, .text(.badRequest, "malformed request", close: true))
            }
            return
        }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if !busy && queue.isEmpty && reading == nil && clock.phase != .head {
                closeAfterWrites(context)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.cancel()
        closing = true
        context.fireChannelInactive()
    }
}
