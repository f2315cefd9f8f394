import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import WharfServer

/// Differential tests: the fast-path decoder must turn every byte stream into exactly what NIO's
/// `HTTPRequestDecoder` makes of it (the same heads, or an error), however the bytes are split;
/// and the fields it collects while parsing must be those collected from the finished head.
@Suite struct FastRequestDecoderTests {
    enum Outcome: Equatable {
        case parts([String])
        case error
    }

    /// - Parameter keepAlive: what the server decides for a fast-path request (from its fields);
    ///   for NIO's heads, llhttp's decision (`isKeepAlive`).
    static func describe(_ part: HTTPServerRequestPart, keepAlive: Bool? = nil) -> String {
        switch part {
        case .head(let h):
            let fields = h.headers.map { "\($0.name)=\($0.value)" }.joined(separator: "|")
            return "HEAD \(h.method.rawValue) \(h.uri) \(h.version.major).\(h.version.minor) keepalive=\(keepAlive ?? h.isKeepAlive) [\(fields)]"
        case .body(let b): return "BODY \(b.readableBytes)"
        case .end: return "END"
        }
    }

    static func run(_ chunks: [[UInt8]], fast: Bool) -> Outcome {
        let channel = EmbeddedChannel()
        let nio = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)
        do {
            if fast {
                try channel.pipeline.syncOperations.addHandler(
                    FastRequestDecoder(nio, clock: nil, maxHeaderBytes: 8192, maxHeaderFieldBytes: 4096, maxHeaderCount: 32))
            } else {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(nio))
            }
        } catch {
            return .error
        }
        var parts: [String] = []
        do {
            for chunk in chunks {
                try channel.writeInbound(ByteBuffer(bytes: chunk))
                if fast {
                    while let input = try channel.readInbound(as: HTTP1Input.self) {
                        switch input {
                        case .request(let head, let fields):
                            // Collected while parsing: must equal what the head's fields give.
                            #expect(fields == RequestFields(head.headers))
                            #expect(fields.persistence != .undecided)
                            parts += [describe(.head(head), keepAlive: fields.isKeepAlive(head)), describe(.end(nil))]
                        case .part(let p):
                            parts.append(describe(p))
                        }
                    }
                } else {
                    while let p = try channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(describe(p)) }
                }
            }
        } catch {
            return .error
        }
        _ = try? channel.finish()
        return .parts(parts)
    }

    static let corpus: [String] = [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "HEAD /a/b.css?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nAccept-Encoding: gzip, br;q=0.5\r\n\r\n",
        "GET /x HTTP/1.0\r\n\r\n",
        "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        // Connection lists as NIO's isKeepAlive reads them: close wins, a second member makes it close.
        "GET /x HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n",
        "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\nconnection: keep-alive\r\n\r\n",
        "GET /x HTTP/1.0\r\nConnection: \t KEEP-ALIVE \t,,\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nConnection: te, close-ish, keep-alive\r\n\r\n",
        "GET /x HTTP/1.0\r\nConnection: keep-alive,\u{301}close\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost:x\r\nX-A:  spaced value  \r\nX-B:\t\ttab\t\r\nX-Empty:\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nAccept: a\r\nAccept: b\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nX-Utf8: caf\u{e9}\r\n\r\n",
        "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\ncontent-length: 0\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"a\"\r\nif-none-match: \"b\"\r\nRange: bytes=0-1\r\nIf-Range: \"a\"\r\n"
            + "If-Modified-Since: Mon, 30 Nov 2026 10:00:00 GMT\r\nIf-Unmodified-Since: x\r\nIf-Match: *\r\n"
            + "Accept: image/avif\r\nACCEPT-ENCODING: br\r\nConnection: keep-alive, Upgrade\r\n\r\n",
        // Everything below must be handed to NIO's decoder (bodies, odd forms, malformed input).
        "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /y HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "GET http://x/y HTTP/1.1\r\nHost: x\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "get /x HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /x HTTP/1.1\nHost: x\n\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET /x HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\u{0}y\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
        "GET /x HTTP/2.0\r\nHost: x\r\n\r\n",
        "GET /x\u{1}y HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET  /x HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /x HTTP/1.1 \r\nHost: x\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\r\n\r\n",
        "GET /x HTTP/1.1\r\n\r\n",
        "\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\n\r\nPOST /y HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /z HTTP/1.1\r\nHost: x\r\n\r\n",
    ]

    @Test(arguments: corpus)
    func sameAsNIOWholeAndSplitAtEveryByte(request: String) {
        let bytes = Array(request.utf8)
        let expected = Self.run([bytes], fast: false)
        #expect(Self.run([bytes], fast: true) == expected)
        for cut in 1..<bytes.count {
            let chunks = [Array(bytes[..<cut]), Array(bytes[cut...])]
            #expect(Self.run(chunks, fast: true) == Self.run(chunks, fast: false), "split at \(cut)")
        }
    }

    /// The server's decoder keeps no header lines: it must take the same requests, with the same fields.
    @Test(arguments: corpus)
    func serverModeTakesTheSameRequestsWithTheSameFields(request: String) {
        let bytes = Array(request.utf8)
        var kept = RequestFields()
        var bare = RequestFields()
        var h1 = HTTPRequestHead(version: .http1_1, method: .GET, uri: "")
        var h2 = h1
        let a = FastRequestDecoder.parse(bytes, maxHeaderBytes: 8192, maxHeaderFieldBytes: 4096, maxHeaderCount: 32,
                                         keepingHeaders: true, into: &h1, fields: &kept)
        let b = FastRequestDecoder.parse(bytes, maxHeaderBytes: 8192, maxHeaderFieldBytes: 4096, maxHeaderCount: 32,
                                         keepingHeaders: false, into: &h2, fields: &bare)
        switch (a, b) {
        case (.request(let l1), .request(let l2)):
            #expect(h1.method == h2.method && h1.uri == h2.uri && h1.version == h2.version && l1 == l2)
            #expect(h2.headers.isEmpty)
            #expect(kept == bare)
        case (.incomplete, .incomplete), (.unsupported, .unsupported):
            break
        default:
            Issue.record("kept: \(a), server mode: \(b)")
        }
    }

    @Test func plainRequestsTakeTheFastPath() throws {
        let nio = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)
        let d = FastRequestDecoder(nio, clock: nil, maxHeaderBytes: 8192, maxHeaderFieldBytes: 4096, maxHeaderCount: 32)
        let channel = EmbeddedChannel(handler: d)
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(!d.delegating)
        try channel.writeInbound(ByteBuffer(string: "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz"))
        #expect(d.delegating)
        _ = try channel.finish()
    }

    @Test func oversizedHeadsAreLeftToNIOsLimits() {
        let long = "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 9000) + "\r\n\r\n"
        #expect(Self.run([Array(long.utf8)], fast: true) == Self.run([Array(long.utf8)], fast: false))
        let many = "GET /x HTTP/1.1\r\n" + (0..<40).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        // More fields than the fast path takes: NIO's decoder (with its own, higher limit) decides.
        #expect(Self.run([Array(many.utf8)], fast: true) == Self.run([Array(many.utf8)], fast: false))
    }
}
