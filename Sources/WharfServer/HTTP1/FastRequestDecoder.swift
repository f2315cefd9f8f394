import NIOCore
import NIOHTTP1
import WharfHTTP

/// The HTTP/1 request decoder. Plain `GET`/`HEAD` requests in origin-form, with well-formed header
/// lines and no body, are parsed here directly from the bytes read; anything else — a body, an
/// unusual method or target, an obsolete line fold, a bare LF, a control byte, a head over the
/// size limit — hands the stream over, at that request's first byte, to NIO's `HTTPRequestDecoder`
/// for good (inserted behind this handler), which then decides (and rejects what is malformed). So
/// the fast path only ever accepts a strict subset of what NIO accepts, and answers nothing
/// differently: it just skips llhttp's callbacks and `ByteToMessageHandler`'s buffering on the hot
/// path, where a read holds one whole request. It also tells the connection clock when request
/// bytes arrive (header-read deadline).
///
/// A whole request goes to the connection handler (`sink`) by a direct call, not as a pipeline
/// message: a message is boxed into `NIOAny`, cast back and copied out field by field, which cost
/// more than the parse itself. Without a sink (unit tests), it is fired down the pipeline.
final class FastRequestDecoder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTP1Input

    private let inner: HTTPRequestDecoder
    private let clock: ConnectionClock?
    private let maxHeaderBytes: Int
    private let maxHeaderFieldBytes: Int
    private let maxHeaderCount: Int
    /// The buffer bound of NIO's decoder once it takes over.
    private let maximumBufferSize: Int
    /// The start of a request head that has not fully arrived (at most `maxHeaderBytes`).
    private var pending: ByteBuffer?
    /// Once set, every byte goes to NIO's decoder, behind this handler.
    private(set) var delegating = false
    /// The connection handler, which is handed whole requests directly (it sits right behind this
    /// handler, on the same event loop).
    private let sink: HTTP1Handler?
    /// The peer's address, set on every request's fields (the per-client transform limit's key).
    private var client: SocketAddress?
    /// Whether heads carry their header lines (see ``parse(_:maxHeaderBytes:maxHeaderFieldBytes:maxHeaderCount:keepingHeaders:into:fields:)``).
    private let keepsHeaders: Bool
    /// Whether fields keep the `User-Agent` (for the access log).
    private let keepsUserAgent: Bool
    /// The head requests are parsed into: reused, so a request that is answered at once (nothing
    /// keeps its head) costs no allocation of head storage.
    private var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")

    /// - Parameters:
    ///   - sink: the connection handler; nil fires requests down the pipeline as ``HTTP1Input``.
    ///   - keepsHeaders: false for the server, whose handler reads only the collected fields.
    init(_ inner: HTTPRequestDecoder, clock: ConnectionClock?, sink: HTTP1Handler? = nil, keepsHeaders: Bool = true,
         keepsUserAgent: Bool = false, maxHeaderBytes: Int, maxHeaderFieldBytes: Int, maxHeaderCount: Int,
         maximumBufferSize: Int = 1 << 20) {
        self.inner = inner
        self.clock = clock
        self.sink = sink
        self.keepsHeaders = keepsHeaders
        self.keepsUserAgent = keepsUserAgent
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderFieldBytes = maxHeaderFieldBytes
        self.maxHeaderCount = maxHeaderCount
        self.maximumBufferSize = maximumBufferSize
    }

    func handlerAdded(context: ChannelHandlerContext) {
        client = context.channel.remoteAddress
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        clock?.bytesArrived()
        if delegating {
            context.fireChannelRead(data)
            return
        }
        var buffer = unwrapInboundIn(data)
        if var start = pending {
            pending = nil
            start.writeBuffer(&buffer)
            buffer = start
        }
        while buffer.readableBytes > 0 {
            var fields = RequestFields(keepingUserAgent: keepsUserAgent)
            // Parsed from the raw bytes: a `ByteBufferView` retains and releases its storage at
            // every slice taken of it.
            let parsed = buffer.withUnsafeReadableBytes {
                Self.parse($0, maxHeaderBytes: maxHeaderBytes, maxHeaderFieldBytes: maxHeaderFieldBytes,
                           maxHeaderCount: maxHeaderCount, keepingHeaders: keepsHeaders, into: &head, fields: &fields)
            }
            switch parsed {
            case .incomplete:
                // A head longer than the limit is NIO's to refuse (its limits, its error).
                guard buffer.readableBytes <= maxHeaderBytes else { return delegate(context, buffer) }
                buffer.discardReadBytes()
                pending = buffer
                return
            case .unsupported:
                return delegate(context, buffer)
            case .request(let length):
                buffer.moveReaderIndex(forwardBy: length)
                fields.client = client
                if let sink {
                    sink.received(head, fields)
                } else {
                    context.fireChannelRead(wrapInboundOut(.request(head, fields)))
                }
            }
        }
    }

    /// Puts NIO's decoder (in its `ByteToMessageHandler`, then an adapter to ``HTTP1Input``) behind
    /// this handler and gives it the bytes from the first request this one does not take.
    private func delegate(_ context: ChannelHandlerContext, _ buffer: ByteBuffer) {
        delegating = true
        do {
            let decoder = ByteToMessageHandler(inner, maximumBufferSize: maximumBufferSize)
            try context.pipeline.syncOperations.addHandler(decoder, position: .after(self))
            try context.pipeline.syncOperations.addHandler(HTTPPartAdapter(), position: .after(decoder))
        } catch {
            context.fireErrorCaught(error)
            return
        }
        context.fireChannelRead(NIOAny(buffer))
    }

    enum Parsed {
        case incomplete
        case unsupported
        /// A whole head of `length` bytes, written into the `head` and `fields` passed.
        case request(length: Int)
    }

    /// Parses one request head at the start of `bytes` into `head` (its method, version and
    /// target; its header lines only when keeping them), collecting its fields into `fields`.
    /// `head` is written field by field so that a caller can reuse one: its storage is copied only
    /// when someone else still holds the last request's.
    ///
    /// - Parameter keepingHeaders: whether the head carries its header lines. Nothing on the
    ///   HTTP/1.1 path reads them (the fields hold what it needs), so the server's decoder skips
    ///   building them; the differential tests and fuzz target keep them, to compare with NIO's.
    static func parse<Bytes: RandomAccessCollection>(_ bytes: Bytes, maxHeaderBytes: Int, maxHeaderFieldBytes: Int,
                                                    maxHeaderCount: Int, keepingHeaders: Bool = true,
                                                    into head: inout HTTPRequestHead, fields: inout RequestFields) -> Parsed
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let base = bytes.startIndex
        let n = bytes.count
        var i = base
        let end = base + n

        // Method.
        let method: HTTPMethod
        if n >= 4, bytes[i] == 0x47, bytes[i + 1] == 0x45, bytes[i + 2] == 0x54, bytes[i + 3] == 0x20 { // "GET "
            method = .GET
            i += 4
        } else if n >= 5, bytes[i] == 0x48, bytes[i + 1] == 0x45, bytes[i + 2] == 0x41, bytes[i + 3] == 0x44, bytes[i + 4] == 0x20 { // "HEAD "
            method = .HEAD
            i += 5
        } else {
            return n < 5 && isPrefix(bytes, of: ["GET ", "HEAD "]) ? .incomplete : .unsupported
        }
        // Target: origin-form, visible ASCII only.
        let targetStart = i
        guard i < end else { return .incomplete }
        guard bytes[i] == 0x2F else { return .unsupported }
        while i < end, bytes[i] != 0x20 {
            let b = bytes[i]
            guard b > 0x20, b < 0x7F else { return .unsupported }
            i += 1
            if i - base > maxHeaderFieldBytes { return .unsupported }
        }
        guard i < end else { return .incomplete }
        let targetEnd = i
        i += 1
        // Version and CRLF: "HTTP/1.1\r\n" or "HTTP/1.0\r\n".
        guard end - i >= 10 else { return end - base > maxHeaderBytes ? .unsupported : .incomplete }
        guard bytes[i] == 0x48, bytes[i + 1] == 0x54, bytes[i + 2] == 0x54, bytes[i + 3] == 0x50, bytes[i + 4] == 0x2F,
              bytes[i + 5] == 0x31, bytes[i + 6] == 0x2E, bytes[i + 7] == 0x31 || bytes[i + 7] == 0x30,
              bytes[i + 8] == 0x0D, bytes[i + 9] == 0x0A else { return .unsupported }
        let version: HTTPVersion = bytes[i + 7] == 0x31 ? .http1_1 : .http1_0
        i += 10

        // Header lines, up to the empty line. Each line is checked whole, then its field is
        // collected (a head that turns out incomplete or unsupported is dropped, fields and all).
        var headers: [(String, String)] = []
        if keepingHeaders { headers.reserveCapacity(8) }
        var count = 0
        var sawContentLength = false
        while true {
            if i - base > maxHeaderBytes { return .unsupported }
            guard i + 1 < end else { return .incomplete }
            if bytes[i] == 0x0D {
                guard bytes[i + 1] == 0x0A else { return .unsupported }
                i += 2
                break
            }
            let lineStart = i
            // Name: one or more tchars, then ':'.
            while i < end, isTChar(bytes[i]) { i += 1 }
            guard i < end else { return .incomplete }
            guard bytes[i] == 0x3A, i > lineStart else { return .unsupported }
            let nameEnd = i
            i += 1
            while i < end, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
            let valueStart = i
            while i < end {
                let b = bytes[i]
                if b == 0x0D { break }
                // Visible ASCII, obs-text, SP and HTAB; any other control byte (LF, NUL, DEL…)
                // is for NIO's decoder to judge.
                guard b >= 0x20 && b != 0x7F || b == 0x09 else { return .unsupported }
                i += 1
            }
            // Trailing whitespace stays in the value, exactly as NIO's decoder leaves it.
            let valueEnd = i
            guard i + 1 < end else { return .incomplete }
            guard bytes[i + 1] == 0x0A else { return .unsupported }
            i += 2
            if i - lineStart > maxHeaderFieldBytes { return .unsupported }
            count += 1
            if count > maxHeaderCount { return .unsupported }

            let name = bytes[lineStart..<nameEnd]
            // Bodies and protocol switches take NIO's path, which frames them.
            switch nameEnd - lineStart {
            case 14 where ASCIICaseless.equals(name, "content-length"):
                // One `Content-Length: 0` only: llhttp refuses a repeated field even when the
                // values agree (found by the http1-head fuzz target).
                guard !sawContentLength, valueEnd - valueStart == 1, bytes[valueStart] == 0x30 else { return .unsupported }
                sawContentLength = true
            case 17 where ASCIICaseless.equals(name, "transfer-encoding"): return .unsupported
            case 7 where ASCIICaseless.equals(name, "upgrade"): return .unsupported
            default: break
            }
            // A value becomes a String only when its field is one the server reads.
            fields.take(name: name) { string(bytes, valueStart, valueEnd) }
            // A `Connection` the fields cannot decide (a list, a repeat, odd spacing) is llhttp's
            // to read: see `RequestFields.Persistence`.
            if fields.persistence == .undecided { return .unsupported }
            if keepingHeaders { headers.append((string(bytes, lineStart, nameEnd), string(bytes, valueStart, valueEnd))) }
        }
        head.method = method
        head.version = version
        head.uri = string(bytes, targetStart, targetEnd)
        if keepingHeaders { head.headers = HTTPHeaders(headers) }
        return .request(length: i - base)
    }

    @inline(__always)
    static func isTChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    static func isPrefix<Bytes: RandomAccessCollection>(_ bytes: Bytes, of candidates: [String]) -> Bool where Bytes.Element == UInt8 {
        candidates.contains { c in zip(bytes, c.utf8).allSatisfy { $0 == $1 } }
    }

    static func string<Bytes: RandomAccessCollection>(_ bytes: Bytes, _ s: Int, _ e: Int) -> String
    where Bytes.Element == UInt8, Bytes.Index == Int {
        String(decoding: bytes[s..<e], as: UTF8.self)
    }
}
