import Foundation
import Testing
import WharfCompression
import WharfHTTP
@testable import WharfServer

/// Connections that stall, upgrade or abuse the request stream, and per-URL correctness of the
/// on-the-fly compression cache.
@Suite(.serialized) struct ConnectionLimitsTests {
    static let big = [UInt8](repeating: 0x5A, count: 8 << 20)

    @Test func aRequestBodyIsNeverRead() async throws {
        let s = try await TestServer(files: ["index.html": Array("hi".utf8)]) { c in c.limits.headerReadTimeout = 5 }
        defer { Task { await s.stop() } }
        let raw = try RawClient(port: s.port)
        raw.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc") // 97 bytes never come
        let start = Date()
        let answer = String(decoding: raw.readAll(), as: UTF8.self)
        // Answered at once from the head, not after waiting for the body, and closed.
        #expect(answer.hasPrefix("HTTP/1.1 405") && answer.header("connection") == "close")
        #expect(Date().timeIntervalSince(start) < 2)
        // A GET with a body is served, then the connection closes (the body is not parsed).
        let get = try RawClient(port: s.port)
        get.send("GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
        let served = String(decoding: get.readAll(), as: UTF8.self)
        #expect(served.hasPrefix("HTTP/1.1 200") && served.header("connection") == "close")
        #expect(served.components(separatedBy: "HTTP/1.1 ").count == 2)
    }

    @Test func http11RequiresExactlyOneHost() async throws {
        let s = try await TestServer(files: ["index.html": Array("hi".utf8)])
        defer { Task { await s.stop() } }
        let none = try RawClient(port: s.port)
        none.send("GET / HTTP/1.1\r\n\r\n")
        #expect(String(decoding: none.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        let two = try RawClient(port: s.port)
        two.send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        #expect(String(decoding: two.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        let old = try RawClient(port: s.port) // HTTP/1.0 has no Host requirement
        old.send("GET / HTTP/1.0\r\n\r\n")
        #expect(String(decoding: old.readAll(), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
    }

    @Test func upgradeAndConnectAreAnsweredThenClosed() async throws {
        let s = try await TestServer(files: ["index.html": Array("hi".utf8)])
        defer { Task { await s.stop() } }
        let up = try RawClient(port: s.port)
        up.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
        let a = String(decoding: up.readAll(), as: UTF8.self)
        #expect(a.hasPrefix("HTTP/1.1 400"))
        #expect(a.header("connection") == "close")
        let connect = try RawClient(port: s.port)
        connect.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        let b = String(decoding: connect.readAll(), as: UTF8.self)
        #expect(b.hasPrefix("HTTP/1.1 405"))
    }

    /// A connection that never sends a byte is closed at the header timeout, not kept for the
    /// (longer) keep-alive idle timeout: slowloris sockets that stay silent cost as little.
    @Test func aSilentNewConnectionIsClosedAtTheHeaderTimeout() async throws {
        let s = try await TestServer(files: ["a.txt": Array("a".utf8)]) { c in
            c.limits.headerReadTimeout = 0.5
            c.limits.idleTimeout = 60
        }
        defer { Task { await s.stop() } }
        let raw = try RawClient(port: s.port)
        let start = Date()
        let got = raw.readAll() // returns at EOF (or the 10 s receive timeout)
        let waited = Date().timeIntervalSince(start)
        #expect(got.isEmpty && waited >= 0.4 && waited < 5, "closed after \(waited) s")
    }

    @Test func aClientThatStopsReadingIsCutAfterTheIdleTimeout() async throws {
        let s = try await TestServer(files: ["big.bin": Self.big]) { c in c.limits.idleTimeout = 0.5 }
        defer { Task { await s.stop() } }
        let raw = try RawClient(port: s.port, receiveBuffer: 4096)
        raw.send("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        _ = raw.read(count: 100)
        try await Task.sleep(for: .seconds(2.5)) // read nothing for five idle timeouts
        let rest = raw.readAll()
        // The server gave up, and with a reset: a graceful close would have left the kernel to
        // deliver its full send buffer (megabytes) to the non-reading client.
        #expect(rest.count < 512 * 1024, "read \(rest.count) bytes after the send timeout")
    }

    @Test func pipelinedFloodFromANonReadingClientIsBounded() async throws {
        let s = try await TestServer(files: ["big.bin": Self.big]) { c in
            c.limits.maxPipelinedRequests = 4
            c.limits.idleTimeout = 1
        }
        defer { Task { await s.stop() } }
        let raw = try RawClient(port: s.port, receiveBuffer: 4096)
        raw.send(String(repeating: "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", count: 2000))
        try await Task.sleep(for: .seconds(3))
        // The connection was closed (too many queued requests, or no reading progress), and the
        // server still answers others.
        let c = try RawClient(port: s.port)
        c.send("GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n")
        #expect(c.readResponse()?.head.statusCode == 206)
        let tail = raw.readAll(limit: 1 << 30)
        #expect(tail.count < 10 * Self.big.count) // far fewer than the 2000 responses asked for
    }

    @Test func compressedVariantsKeepTheirOwnURLsCachingHeaders() async throws {
        let css = Array(String(repeating: "p { margin: 0 }\n", count: 200).utf8)
        let s = try await TestServer(files: ["a/site.css": css, "b/site.css": css]) { c in
            c.cache.policy.rules = [CacheRule(pattern: try! GlobPattern("/b/**"), directives: CacheDirectives(cacheControl: "no-store"))]
        }
        let client = try Client()
        defer { Task { try? await client.shutdown(); await s.stop() } }
        let a = try await client.get(s.base + "/a/site.css", [("Accept-Encoding", "br")])
        let b = try await client.get(s.base + "/b/site.css", [("Accept-Encoding", "br")])
        #expect(a.h("content-encoding") == "br")
        #expect(b.h("content-encoding") == "br")
        #expect(a.h("etag") == b.h("etag")) // same bytes, same strong validator
        #expect(a.h("cache-control")?.contains("max-age=3600") == true)
        #expect(b.h("cache-control") == "no-store")
        #expect(try Brotli.decompress(b.body) == css)
    }

    @Test func errorAnswersAreNotCachedUnderTheFilesLifetime() async throws {
        let s = try await TestServer(files: ["app.3f2a9c1d7e.js": Array("x=1".utf8)])
        let client = try Client()
        defer { Task { try? await client.shutdown(); await s.stop() } }
        let pf = try await client.get(s.base + "/app.3f2a9c1d7e.js", [("If-Match", "\"nope\"")])
        #expect(pf.status == 412)
        #expect(pf.h("cache-control") == "no-store")
        let rn = try await client.get(s.base + "/app.3f2a9c1d7e.js", [("Range", "bytes=50-")])
        #expect(rn.status == 416)
        #expect(rn.h("cache-control") == "no-store")
        let options = try await client.get(s.base + "/", method: .OPTIONS)
        #expect(options.status == 204)
        #expect(options.h("content-length") == nil)
    }
}
