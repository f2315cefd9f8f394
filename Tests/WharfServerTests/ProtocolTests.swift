import Foundation
import NIOHTTP1
import Testing
import WharfCompression
@testable import WharfServer

/// HTTP/2 (TLS + ALPN, and h2c with prior knowledge), large files (sendfile and chunked reads
/// under TLS), and the raw HTTP/1.1 edge cases a library client will not send.
@Suite(.serialized) struct ProtocolTests {
    static let big: [UInt8] = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
    static let css = StaticFlowTests.css

    static func files() throws -> [String: [UInt8]] {
        ["big.bin": big, "css/site.css": css, "css/site.css.br": try Brotli.compress(css), "index.html": Array("<p>hi</p>".utf8)]
    }

    @Test func http2OverTLSWithALPN() async throws {
        let tls = try makeTestCertificate()
        let s = try await TestServer(files: try Self.files(), tls: tls)
        let c = try Client(trusting: tls.cert)
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let u = "https://localhost:\(s.port)"

        let r = try await c.get(u + "/css/site.css", [("Accept-Encoding", "br")])
        #expect(r.version == .http2)
        #expect(r.status == 200)
        #expect(r.h("content-encoding") == "br")
        #expect(try Brotli.decompress(r.body) == Self.css)
        let nm = try await c.get(u + "/css/site.css", [("Accept-Encoding", "br"), ("If-None-Match", r.h("etag")!)])
        #expect(nm.status == 304)
        #expect(nm.h("etag") == r.h("etag"))
        let pf = try await c.get(u + "/css/site.css", [("If-Match", "\"stale\"")])
        #expect(pf.status == 412)
        #expect(pf.version == .http2)
        let unsat = try await c.get(u + "/css/site.css", [("Range", "bytes=999999-")])
        #expect(unsat.status == 416)
        #expect(unsat.h("content-range") == "bytes */\(Self.css.count)")
        let range = try await c.get(u + "/big.bin", [("Range", "bytes=1000-1999")])
        #expect(range.status == 206)
        #expect(range.body == Array(Self.big[1000...1999]))
        // A file above the in-memory size streams in chunks read off the event loop.
        let whole = try await c.get(u + "/big.bin")
        #expect(whole.body.count == Self.big.count)
        #expect(whole.body == Self.big)
        let head = try await c.get(u + "/big.bin", method: .HEAD)
        #expect(head.status == 200)
        #expect(head.h("content-length") == String(Self.big.count))
        #expect(head.body.isEmpty)
    }

    @Test func http11OverTLSStreamsLargeFiles() async throws {
        let tls = try makeTestCertificate()
        let s = try await TestServer(files: try Self.files(), tls: tls)
        defer { Task { await s.stop() } }
        // curl, forced to HTTP/1.1 over TLS.
        let out = try run("/usr/bin/curl", ["-sS", "--http1.1", "--cacert", tls.cert, "-w", "%{http_version}",
                                            "https://localhost:\(s.port)/big.bin"])
        #expect(out.status == 0)
        let data = [UInt8](out.stdout)
        #expect(data.count == Self.big.count + 3)
        #expect(Array(data.prefix(Self.big.count)) == Self.big)
        #expect(String(decoding: data.suffix(3), as: UTF8.self) == "1.1")
    }

    @Test func h2cWithPriorKnowledge() async throws {
        let s = try await TestServer(files: try Self.files())
        defer { Task { await s.stop() } }
        let out = try run("/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
                                            "-H", "Accept-Encoding: br", s.base + "/css/site.css"])
        let head = String(decoding: out.stdout, as: UTF8.self)
        #expect(head.hasPrefix("HTTP/2 200"))
        #expect(head.contains("content-encoding: br"))
        #expect(head.contains("vary: Accept-Encoding"))
        let big = try run("/usr/bin/curl", ["-sS", "--http2-prior-knowledge", s.base + "/big.bin"])
        #expect([UInt8](big.stdout) == Self.big)
    }

    @Test func largeFileOverPlaintextUsesRangesAndSendfile() async throws {
        let s = try await TestServer(files: try Self.files())
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let whole = try await c.get(s.base + "/big.bin")
        #expect(whole.body == Self.big)
        let r = try await c.get(s.base + "/big.bin", [("Range", "bytes=-100")])
        #expect(r.body == Array(Self.big.suffix(100)))
        let mp = try await c.get(s.base + "/big.bin", [("Range", "bytes=0-0,2000000-2000001")])
        #expect(mp.status == 206)
        #expect(mp.h("content-length") == String(mp.body.count))
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let s = try await TestServer(files: try Self.files())
        defer { Task { await s.stop() } }
        let raw = try RawClient(port: s.port)
        raw.send("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"
                 + "GET /css/site.css HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n"
                 + "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                 + "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let a = try #require(raw.readResponse())
        #expect(a.head.statusCode == 200)
        #expect(a.body == Array("<p>hi</p>".utf8))
        let b = try #require(raw.readResponse())
        #expect(b.head.header("content-encoding") == "br")
        #expect(try Brotli.decompress(b.body) == Self.css)
        let c = try #require(raw.readResponse(bodyless: true))
        #expect(c.head.header("content-length") == String(Self.big.count))
        let d = try #require(raw.readResponse())
        #expect(d.head.statusCode == 404)
        #expect(d.head.header("connection") == "close")
        #expect(raw.readAll().isEmpty) // closed after the last response
    }

    @Test(arguments: [
        ("GET /../etc/passwd HTTP/1.1", 400),
        ("GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1", 400),
        ("GET /css/..%2f..%2fetc/passwd HTTP/1.1", 400),
        ("GET /..%5c..%5cetc/passwd HTTP/1.1", 400),
        ("GET /%c0%ae%c0%ae/etc/passwd HTTP/1.1", 400),
        ("GET /index.html%00.css HTTP/1.1", 400),
        ("GET /.git/config HTTP/1.1", 404),
        ("GET //etc/passwd HTTP/1.1", 404),
        ("GET http://evil/../../etc/passwd HTTP/1.1", 400),
        ("GET /css/site.css HTTP/1.0", 200),
    ])
    func rawTraversalAttempts(requestLine: String, status: Int) async throws {
        let s = try await TestServer(files: try Self.files())
        defer { Task { await s.stop() } }
        let raw = try RawClient(port: s.port)
        raw.send(requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n")
        let r = try #require(raw.readResponse())
        #expect(r.head.statusCode == status)
        #expect(!String(decoding: r.body, as: UTF8.self).contains("root:"))
    }

    @Test func slowHeadersGet408AndOversizedRequestsAreRefused() async throws {
        let s = try await TestServer(files: try Self.files()) { c in
            c.limits.headerReadTimeout = 0.3
            c.limits.maxURIBytes = 100
            c.limits.maxHeaderBytes = 2048
        }
        defer { Task { await s.stop() } }
        let slow = try RawClient(port: s.port)
        slow.send("GET / HTTP/1.1\r\nHost: x\r\n") // never finishes its head
        let timedOut = String(decoding: slow.readAll(), as: UTF8.self)
        #expect(timedOut.hasPrefix("HTTP/1.1 408"))

        let long = try RawClient(port: s.port)
        long.send("GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(String(decoding: long.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 414"))

        let fat = try RawClient(port: s.port)
        fat.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 4096) + "\r\n\r\n")
        #expect(String(decoding: fat.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 431"))

        let garbage = try RawClient(port: s.port)
        garbage.send("\u{1}\u{2}GARBAGE\r\n\r\n")
        #expect(String(decoding: garbage.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
    }

    @Test func connectionCapClosesExtraConnections() async throws {
        let s = try await TestServer(files: try Self.files()) { c in c.limits.maxConnections = 2 }
        defer { Task { await s.stop() } }
        let a = try RawClient(port: s.port)
        let b = try RawClient(port: s.port)
        try await Task.sleep(for: .milliseconds(200))
        let extra = try RawClient(port: s.port)
        extra.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(extra.readAll().isEmpty) // closed without an answer
        a.send("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(a.readResponse()?.head.statusCode == 200)
        _ = b
    }

    @Test func gracefulShutdownDrainsInFlightResponses() async throws {
        // 24 MiB is more than loopback's socket buffers hold, so most of it is still queued in
        // the server when shutdown starts; the small receive buffer keeps the client slow.
        let huge = (0..<(24 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 7) }
        let s = try await TestServer(files: ["huge.bin": huge])
        let raw = try RawClient(port: s.port, receiveBuffer: 4096)
        raw.send("GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = raw.read(count: 1000)
        #expect(first.count == 1000)
        let shutdown = Task { await s.server.shutdown() }
        try await Task.sleep(for: .milliseconds(200))
        // The listener is closed: new connections are refused.
        #expect(throws: (any Error).self) { _ = try RawClient(port: s.port) }
        // The in-flight response completes in full, then the connection closes.
        let rest = raw.readAll()
        let all = first + rest
        let headEnd = try #require(findHeadEnd(all))
        #expect(all.count - headEnd == huge.count)
        #expect(Array(all[headEnd...]) == huge)
        await shutdown.value
        try? FileManager.default.removeItem(at: s.root)
    }

    func findHeadEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
