import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Testing
import WharfCompression
@testable import WharfServer

/// The HTTP/1.1 hot path (`StaticResponder.hotVariant`) answers without building a reply; for
/// every request it takes, the general `respond` must answer a 200 of the very same prebuilt
/// variant (so the bytes written are the same), and the requests it leaves must be left.
@Suite(.serialized) struct HotPathTests {
    static let css = StaticFlowTests.css
    static let big = Array(repeating: UInt8(ascii: "a"), count: 100 * 1024)

    static func site() throws -> [String: [UInt8]] {
        var files = try StaticFlowTests.site()
        files["plain.txt"] = Array(String(repeating: "plain text, no siblings\n", count: 40).utf8)
        files["big.txt"] = big           // above cache.memory_max_file_bytes: streamed from disk
        files["pic.png"] = Array(repeating: 0x11, count: 300)
        files["caf\u{e9}.css"] = css
        return files
    }

    /// A request as the fast decoder makes it (head and fields) from the request's text.
    static func request(_ text: String) throws -> (HTTPRequestHead, RequestFields) {
        var fields = RequestFields()
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "")
        let parsed = FastRequestDecoder.parse(Array(text.utf8), maxHeaderBytes: 8192, maxHeaderFieldBytes: 4096,
                                              maxHeaderCount: 32, keepingHeaders: false, into: &head, fields: &fields)
        guard case .request = parsed else {
            throw CancellationError()
        }
        return (head, fields)
    }

    static func get(_ target: String, _ extra: String = "", version: String = "1.1") -> String {
        "GET \(target) HTTP/\(version)\r\nHost: x\r\n\(extra)\r\n"
    }

    /// Requests the hot path must take.
    static let hot: [String] = [
        get("/css/site.css"),
        get("/css/site.css", "Accept-Encoding: br\r\n"),
        get("/css/site.css", "Accept-Encoding: gzip, deflate\r\n"),
        get("/css/site.css", "Accept-Encoding: br;q=0, gzip;q=0.5\r\n"),
        get("/css/site.css?v=3", "Accept-Encoding: br\r\n"),
        get("/css/site.css", "Accept-Encoding: br\r\nConnection: keep-alive\r\nUser-Agent: t\r\nAccept: */*\r\n"),
        get("/"),
        get("/docs/"),
        get("/docs/index.html"),
        get("/assets/app.3f2a9c1d7e.js"),
        get("/plain.txt"),
        get("/plain.txt", "Accept-Encoding: identity\r\n"),
    ]

    /// Requests for a file streamed from disk: hot only where the connection sends files itself
    /// (`files: true`, plaintext HTTP/1.1).
    static let hotFromDisk: [String] = [
        get("/big.txt"),
        get("/big.txt", "Accept-Encoding: identity\r\n"),
        get("/big.txt?v=2", "User-Agent: t\r\n"),
    ]

    /// Requests it must leave to `respond`.
    static let cold: [String] = [
        "HEAD /css/site.css HTTP/1.1\r\nHost: x\r\n\r\n",
        get("/css/site.css", version: "1.0"),
        "GET /css/site.css HTTP/1.1\r\n\r\n",                                   // no Host
        "GET /css/site.css HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        get("/css/site.css", "If-None-Match: \"x\"\r\n"),
        get("/css/site.css", "If-Modified-Since: Mon, 30 Nov 2026 10:00:00 GMT\r\n"),
        get("/css/site.css", "If-Match: *\r\n"),
        get("/css/site.css", "Range: bytes=0-10\r\n"),
        get("/css/site.css", "Accept-Encoding: br;q=0, gzip;q=0, identity;q=0\r\n"),  // 406
        get("/css/%73ite.css"),                                                 // decodes to a hit
        get("/caf%C3%A9.css"),
        get("/css/site.css/"),
        get("/css"),                                                            // 301
        get("/missing.css"),
        get("/.env"),
        get("/big.txt"),                                                        // streamed
        get("/pic.png"),                                                        // an image path
        get("/img/photo.jpg"),
        get("/assets/app.3f2a9c1d7e.js", "Accept-Encoding: gzip\r\n"),
        get("/pic.png?w=10"),
        get("/plain.txt", "Accept-Encoding: br\r\n"),                           // compressed on the fly, not yet
    ]

    @Test func hotRequestsGetTheSameVariantAsTheGeneralPath() async throws {
        let s = try await TestServer(files: try Self.site())
        defer { Task { await s.stop() } }
        let responder = s.server.services.responder
        let table = responder.site.current
        let loop = EmbeddedEventLoop()
        for (text, files) in Self.hot.map({ ($0, false) }) + Self.hot.map({ ($0, true) }) + Self.hotFromDisk.map({ ($0, true) }) {
            let (head, fields) = try Self.request(text)
            let v = try #require(responder.hotVariant(head, fields, table: table, files: files), "not hot: \(text)")
            #expect((v.memoryBody == nil) == Self.hotFromDisk.contains(text), "\(text)")
            guard case .ready(let reply) = responder.respond(head, fields, table: table, on: loop) else {
                Issue.record("pending: \(text)")
                continue
            }
            #expect(reply.status == .ok, "\(text)")
            #expect(reply.variant === v, "another variant: \(text)")
            #expect(reply.route == .static && reply.sendBody && !reply.close, "\(text)")
        }
        for text in Self.hotFromDisk {
            let (head, fields) = try Self.request(text)
            #expect(responder.hotVariant(head, fields, table: table, files: false) == nil, "hot without files: \(text)")
        }
        for text in Self.cold where !text.hasPrefix("GET /big.txt ") {
            let (head, fields) = try Self.request(text)
            #expect(responder.hotVariant(head, fields, table: table) == nil, "hot: \(text)")
            #expect(responder.hotVariant(head, fields, table: table, files: true) == nil, "hot with files: \(text)")
        }
    }

    /// A file rewritten in place under its catalog entry is not hot: the general path answers it
    /// (503, and the catalog rescans) rather than send new bytes under the old ETag.
    @Test func aFileChangedInPlaceIsLeftToTheGeneralPath() async throws {
        let s = try await TestServer(files: try Self.site())
        defer { Task { await s.stop() } }
        let responder = s.server.services.responder
        let table = responder.site.current // the entry as it was, whatever a rescan does meanwhile
        let (head, fields) = try Self.request(Self.get("/big.txt"))
        #expect(responder.hotVariant(head, fields, table: table, files: true) != nil)
        // Same length, new bytes, same inode: what `cp` over an existing file does.
        let handle = try FileHandle(forWritingTo: s.root.appendingPathComponent("big.txt"))
        try handle.write(contentsOf: Data(repeating: UInt8(ascii: "b"), count: Self.big.count))
        try handle.close()
        #expect(responder.hotVariant(head, fields, table: table, files: true) == nil)
        guard case .ready(let reply) = responder.respond(head, fields, table: table, on: EmbeddedEventLoop()) else {
            Issue.record("pending")
            return
        }
        #expect(reply.status == .serviceUnavailable)
        #expect(reply.fields.contains { $0.0 == "Retry-After" })
    }

    /// Once a variant compressed on the fly is cached, it is hot too, and the same object.
    @Test func compressedOnTheFlyVariantsTurnHotOnceCached() async throws {
        let s = try await TestServer(files: try Self.site())
        defer { Task { await s.stop() } }
        let responder = s.server.services.responder
        let table = responder.site.current
        let (head, fields) = try Self.request(Self.get("/plain.txt", "Accept-Encoding: br\r\n"))
        #expect(responder.hotVariant(head, fields, table: table) == nil)
        let loop = s.server.group.next()
        guard case .pending(let future) = responder.respond(head, fields, table: table, on: loop) else {
            Issue.record("expected a compression")
            return
        }
        let compressed = try await future.get()
        #expect(compressed.fields.contains { $0.0 == "Content-Encoding" && $0.1 == "br" })
        let v = try #require(responder.hotVariant(head, fields, table: table))
        #expect(v.coding == .br)
        guard case .ready(let again) = responder.respond(head, fields, table: table, on: loop) else {
            Issue.record("not ready once cached")
            return
        }
        #expect(again.variant === v)
    }

    /// Through the server: a hot GET and a HEAD of the same URL (the general path) send the same
    /// header block, Date aside; the GET's body is the variant's bytes.
    @Test func hotGetAndGeneralHeadSendTheSameHeaderBlock() async throws {
        let s = try await TestServer(files: try Self.site())
        defer { Task { await s.stop() } }
        let client = try RawClient(port: s.port)
        let (head, fields) = try Self.request(Self.get("/css/site.css", "Accept-Encoding: br\r\n"))
        #expect(s.server.services.responder.hotVariant(head, fields, table: s.server.services.responder.site.current) != nil)
        client.send(Self.get("/css/site.css", "Accept-Encoding: br\r\n"))
        let get = try #require(client.readResponse())
        client.send("HEAD /css/site.css HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n")
        let headOnly = try #require(client.readResponse(bodyless: true))
        func withoutDate(_ text: String) -> [Substring] { text.split(separator: "\r\n").filter { !$0.hasPrefix("Date: ") } }
        #expect(get.head.hasPrefix("HTTP/1.1 200 OK\r\nDate: "))
        #expect(withoutDate(get.head) == withoutDate(headOnly.head))
        #expect(get.head.contains("Content-Encoding: br\r\n"))
        #expect(get.body == (try Brotli.compress(Self.css, quality: 11)))

        // A file from disk: its prebuilt head, then the file.
        let (fileHead, fileFields) = try Self.request(Self.get("/big.txt"))
        #expect(s.server.services.responder.hotVariant(fileHead, fileFields, table: s.server.services.responder.site.current,
                                                       files: true)?.memoryBody == nil)
        client.send(Self.get("/big.txt"))
        let file = try #require(client.readResponse())
        client.send("HEAD /big.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        let fileHeadOnly = try #require(client.readResponse(bodyless: true))
        #expect(file.head.hasPrefix("HTTP/1.1 200 OK\r\nDate: "))
        #expect(withoutDate(file.head) == withoutDate(fileHeadOnly.head))
        #expect(file.head.contains("Content-Length: \(Self.big.count)\r\n"))
        #expect(file.body == Self.big)
    }

    /// The access log has the same line for a hot hit as for the general path: the User-Agent from
    /// the fields (the fast decoder keeps no header lines), the coding and type of the variant.
    @Test func accessLogLinesOfHotAndGeneralRequests() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-hot-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let s = try await TestServer(files: try Self.site()) { $0.accessLog = log.path }
        let client = try RawClient(port: s.port)
        let requests = [
            Self.get("/css/site.css", "User-Agent: hot/1\r\nAccept-Encoding: gzip\r\n"),           // hot
            "HEAD /css/site.css HTTP/1.1\r\nHost: x\r\nUser-Agent: head/1\r\nAccept-Encoding: gzip\r\n\r\n",
            Self.get("/missing", "User-Agent: miss/1\r\n"),
            Self.get("/css/site.css"),                                                               // hot, no User-Agent
            // From here on the connection is NIO's decoder's.
            Self.get("/css/site.css", "Connection: keep-alive, keep-alive\r\nUser-Agent: nio/1\r\n"),
        ]
        for (i, r) in requests.enumerated() {
            client.send(r)
            #expect(client.readResponse(bodyless: i == 1) != nil)
        }
        let lines = try await LoggedRequest.read(log) { $0.count >= requests.count }
        await s.stop()
        let css = "text/css; charset=utf-8"
        #expect(lines == [
            LoggedRequest(uri: "/css/site.css", status: "200", userAgent: "hot/1", encoding: "gzip", type: css, version: "HTTP/1.1"),
            LoggedRequest(uri: "/css/site.css", status: "200", userAgent: "head/1", encoding: "gzip", type: css, version: "HTTP/1.1"),
            LoggedRequest(uri: "/missing", status: "404", userAgent: "miss/1", encoding: "identity", type: "text/plain; charset=utf-8",
                   version: "HTTP/1.1"),
            LoggedRequest(uri: "/css/site.css", status: "200", userAgent: "-", encoding: "identity", type: css, version: "HTTP/1.1"),
            LoggedRequest(uri: "/css/site.css", status: "200", userAgent: "nio/1", encoding: "identity", type: css, version: "HTTP/1.1"),
        ])
    }

    /// The hot path counts what the general path counts: requests by route and class, body bytes,
    /// memory hits and the latency histogram.
    @Test func hotHitsAreCountedInTheMetrics() async throws {
        let s = try await TestServer(files: try Self.site())
        let http = try Client()
        defer { Task { try? await http.shutdown(); await s.stop() } }
        let raw = try RawClient(port: s.port)
        let gzip = try Gzip.compress(Self.css, level: 9)
        for _ in 0..<5 {
            raw.send(Self.get("/css/site.css", "Accept-Encoding: gzip\r\n"))
            #expect(raw.readResponse()?.body.count == gzip.count)
        }
        var text = try await http.get("http://127.0.0.1:\(s.adminPort)/metrics").text
        func value(_ line: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        #expect(value(#"wharf_http_requests_total{route="static",status_class="2xx"}"#) == 5)
        #expect(value(#"wharf_http_response_body_bytes_total{route="static"}"#) == Double(5 * gzip.count))
        #expect(value(#"wharf_static_full_responses_total{source="memory"}"#) == 5)
        #expect(value("wharf_http_request_duration_seconds_count") == 5)

        // Files from disk, through the hot path too.
        for _ in 0..<3 {
            raw.send(Self.get("/big.txt"))
            #expect(raw.readResponse()?.body == Self.big)
        }
        text = try await http.get("http://127.0.0.1:\(s.adminPort)/metrics").text
        #expect(value(#"wharf_http_requests_total{route="static",status_class="2xx"}"#) == 8)
        #expect(value(#"wharf_http_response_body_bytes_total{route="static"}"#) == Double(5 * gzip.count + 3 * Self.big.count))
        #expect(value(#"wharf_static_full_responses_total{source="disk"}"#) == 3)
        // The first /metrics request is one more.
        let durations = value("wharf_http_request_duration_seconds_count")
        #expect(durations == 9, "\(text.split(separator: "\n").filter { $0.contains("duration_seconds_count") })")
    }
}
