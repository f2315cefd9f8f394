import Foundation
import Testing
@testable import WharfServer

/// Request smuggling and malformed framing over a raw socket (issue #7): each request is followed
/// on the same connection by a second one that must never be answered. Every case gets exactly one
/// answer with `Connection: close`, and the connection is closed — as Varnish and nginx do: a 400
/// for what the parser rejects, and for a request with a body (which Wharf never reads) its answer
/// at the head, 405 for a POST.
@Suite struct SmugglingTests {
    /// The request pipelined after each attack: answering it would mean the framing was misread.
    static let smuggled = "GET /smuggled.txt HTTP/1.1\r\nHost: x\r\n\r\n"

    static let cases: [(name: String, request: String)] = [
        ("Content-Length and Transfer-Encoding",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("Transfer-Encoding then Content-Length",
         "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n"),
        ("two different Content-Lengths",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"),
        ("two equal Content-Lengths",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd"),
        ("two Content-Length: 0 on a GET (the fast path's shape; found by fuzzing)",
         "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"),
        ("a Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd"),
        ("a signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd"),
        ("a Content-Length beyond 64 bits",
         "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\nabcd"),
        ("a coding before chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        ("chunked twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
        ("Transfer-Encoding folded over two lines",
         "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n\r\nabcd"),
        ("an obs-fold in a GET", "GET /index.html HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"),
        ("a space before the colon", "GET /index.html HTTP/1.1\r\nHost : x\r\n\r\n"),
        ("a bare LF between headers", "GET /index.html HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n"),
        ("bare LFs throughout", "GET /index.html HTTP/1.1\nHost: x\n\n"),
        ("a chunk size that overflows",
         "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFED\r\nabc\r\n0\r\n\r\n"),
        ("a chunk not ended by CRLF",
         "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n"),
        ("a chunk size line ended by a bare LF",
         "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"),
        ("a NUL in a header value", "GET /index.html HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n"),
        ("a control byte in the target", "GET /index\u{01}.html HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("an unknown version", "GET /index.html HTTP/1.7x\r\nHost: x\r\n\r\n"),
        ("a GET with a chunked body", "GET /index.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ]

    /// Heads the parser itself rejects (400) before any body could be framed.
    static let rejectedAtTheHead: Set<String> = [
        "Content-Length and Transfer-Encoding", "Transfer-Encoding then Content-Length", "two different Content-Lengths",
        "two equal Content-Lengths", "a Content-Length list", "a signed Content-Length", "a Content-Length beyond 64 bits",
        "chunked twice", "Transfer-Encoding folded over two lines",
    ]

    @Test(arguments: Self.cases.indices)
    func malformedFramingGets400AndTheConnectionCloses(_ index: Int) async throws {
        let (name, request) = Self.cases[index]
        let s = try await TestServer(files: ["index.html": Array("hi".utf8), "smuggled.txt": Array("smuggled".utf8)])
        defer { Task { await s.stop() } }
        let raw = try RawClient(port: s.port)
        raw.send(request + Self.smuggled)
        let answer = String(decoding: raw.readAll(), as: UTF8.self)
        let statusLines = answer.components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.") }
        let expected = request.hasPrefix("GET /index.html") && request.contains("Transfer-Encoding") ? "HTTP/1.1 200"
            : request.hasPrefix("POST") && !Self.rejectedAtTheHead.contains(name) ? "HTTP/1.1 405" : "HTTP/1.1 400"
        #expect(statusLines.count == 1 && statusLines.first?.hasPrefix(expected) == true, "\(name): \(statusLines), expected \(expected)")
        #expect(answer.header("connection") == "close", "\(name)")
        #expect(!answer.contains("smuggled"), "\(name): the pipelined request was answered")
    }
}
