import Foundation
import NIOHTTP1
import Testing
import WharfCompression
@testable import WharfServer

/// The RFC 9110 flows against the real server over HTTP/1.1 with AsyncHTTPClient.
@Suite(.serialized) struct StaticFlowTests {
    static let css = Array(String(repeating: "body { color: #222; margin: 0 auto; }\n", count: 100).utf8)
    static let html = Array(("<!doctype html><title>t</title>" + String(repeating: "<p>hello wharf</p>\n", count: 200)).utf8)

    static func site() throws -> [String: [UInt8]] {
        [
            "index.html": html,
            "css/site.css": css,
            "css/site.css.br": try Brotli.compress(css, quality: 11),
            "css/site.css.gz": try Gzip.compress(css, level: 9),
            "img/photo.jpg": Array(repeating: 0xAB, count: 5000),
            "docs/index.html": Array("<p>docs</p>".utf8),
            "assets/app.3f2a9c1d7e.js": Array("console.log(1)".utf8),
            ".env": Array("SECRET=1".utf8),
        ]
    }

    @Test func conditionalAndRangeFlows() async throws {
        let s = try await TestServer(files: try Self.site())
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let u = s.base + "/css/site.css"

        let full = try await c.get(u)
        #expect(full.status == 200)
        #expect(full.body == Self.css)
        #expect(full.h("content-length") == String(Self.css.count))
        #expect(full.h("vary") == "Accept-Encoding")
        #expect(full.h("accept-ranges") == "bytes")
        #expect(full.h("date") != nil)
        #expect(full.h("last-modified") != nil)
        #expect(full.h("cache-control")?.contains("max-age=3600") == true)
        let etag = try #require(full.h("etag"))
        #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))

        // 304 keeps the validators and caching headers, drops the body.
        let nm = try await c.get(u, [("If-None-Match", "\"nope\", \(etag)")])
        #expect(nm.status == 304)
        #expect(nm.body.isEmpty)
        #expect(nm.h("etag") == etag)
        #expect(nm.h("cache-control") == full.h("cache-control"))
        #expect(nm.h("vary") == "Accept-Encoding")
        #expect(nm.h("date") != nil)
        #expect(try await c.get(u, [("If-None-Match", "*")]).status == 304)
        #expect(try await c.get(u, [("If-Modified-Since", full.h("last-modified")!)]).status == 304)
        // If-None-Match wins over If-Modified-Since.
        #expect(try await c.get(u, [("If-None-Match", "\"other\""), ("If-Modified-Since", full.h("last-modified")!)]).status == 200)

        // 412.
        let pf = try await c.get(u, [("If-Match", "\"other\"")])
        #expect(pf.status == 412)
        #expect(try await c.get(u, [("If-Match", etag)]).status == 200)
        #expect(try await c.get(u, [("If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")]).status == 412)

        // 206 single, suffix, open-ended.
        let r1 = try await c.get(u, [("Range", "bytes=0-9")])
        #expect(r1.status == 206)
        #expect(r1.body == Array(Self.css[0...9]))
        #expect(r1.h("content-range") == "bytes 0-9/\(Self.css.count)")
        #expect(r1.h("content-length") == "10")
        #expect(r1.h("etag") == etag)
        let r2 = try await c.get(u, [("Range", "bytes=-5")])
        #expect(r2.body == Array(Self.css.suffix(5)))
        let r3 = try await c.get(u, [("Range", "bytes=\(Self.css.count - 3)-")])
        #expect(r3.body == Array(Self.css.suffix(3)))

        // Multipart.
        let mp = try await c.get(u, [("Range", "bytes=0-1, 10-11")])
        #expect(mp.status == 206)
        let ctype = try #require(mp.h("content-type"))
        #expect(ctype.hasPrefix("multipart/byteranges; boundary="))
        #expect(mp.text.contains("Content-Range: bytes 0-1/\(Self.css.count)"))
        #expect(mp.text.contains("Content-Range: bytes 10-11/\(Self.css.count)"))
        #expect(mp.h("content-length") == String(mp.body.count))

        // 416 with the complete length.
        let bad = try await c.get(u, [("Range", "bytes=99999-")])
        #expect(bad.status == 416)
        #expect(bad.h("content-range") == "bytes */\(Self.css.count)")
        // Too many ranges are refused.
        let many = (0..<40).map { "\($0 * 2)-\($0 * 2)" }.joined(separator: ",")
        #expect(try await c.get(u, [("Range", "bytes=" + many)]).status == 416)

        // If-Range: matching ETag applies the range, a stale one gives the whole file.
        #expect(try await c.get(u, [("Range", "bytes=0-9"), ("If-Range", etag)]).status == 206)
        let stale = try await c.get(u, [("Range", "bytes=0-9"), ("If-Range", "\"stale\"")])
        #expect(stale.status == 200)
        #expect(stale.body == Self.css)

        // HEAD is GET without the body.
        let head = try await c.get(u, method: .HEAD)
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.h("content-length") == full.h("content-length"))
        #expect(head.h("etag") == etag)
    }

    @Test func precompressedSelectionAndOnTheFlyCompression() async throws {
        let s = try await TestServer(files: try Self.site())
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let u = s.base + "/css/site.css"

        let br = try await c.get(u, [("Accept-Encoding", "gzip, deflate, br")])
        #expect(br.h("content-encoding") == "br")
        #expect(try Brotli.decompress(br.body) == Self.css)
        #expect(br.h("content-length") == String(br.body.count))
        #expect(br.h("vary") == "Accept-Encoding")
        let gz = try await c.get(u, [("Accept-Encoding", "gzip;q=1, br;q=0.5")])
        #expect(gz.h("content-encoding") == "gzip")
        #expect(try Gzip.decompress(gz.body) == Self.css)
        let plain = try await c.get(u, [("Accept-Encoding", "br;q=0, gzip;q=0")])
        #expect(plain.h("content-encoding") == nil)
        #expect(plain.body == Self.css)
        #expect(plain.h("vary") == "Accept-Encoding")
        // One strong ETag per representation.
        let tags = Set([br.h("etag"), gz.h("etag"), plain.h("etag")])
        #expect(tags.count == 3)
        #expect(br.h("etag")!.hasSuffix("-br\""))
        #expect(gz.h("etag")!.hasSuffix("-gz\""))
        // A conditional request against the br ETag is answered for the br variant.
        let nm = try await c.get(u, [("Accept-Encoding", "br"), ("If-None-Match", br.h("etag")!)])
        #expect(nm.status == 304)
        // Ranges apply to the selected (encoded) representation.
        let r = try await c.get(u, [("Accept-Encoding", "br"), ("Range", "bytes=0-3")])
        #expect(r.status == 206)
        #expect(r.body == Array(br.body[0...3]))
        // identity;q=0 with nothing else acceptable: 406.
        #expect(try await c.get(s.base + "/img/photo.jpg", [("Accept-Encoding", "identity;q=0")]).status == 406)
        // Images are never compressed, and carry no Vary.
        let img = try await c.get(s.base + "/img/photo.jpg", [("Accept-Encoding", "br, gzip")])
        #expect(img.h("content-encoding") == nil)
        #expect(img.h("vary") == nil)

        // index.html has no sibling: compressed on the fly, cached, deterministic.
        let a = try await c.get(s.base + "/", [("Accept-Encoding", "br")])
        #expect(a.status == 200)
        #expect(a.h("content-encoding") == "br")
        #expect(try Brotli.decompress(a.body) == Self.html)
        let b = try await c.get(s.base + "/index.html", [("Accept-Encoding", "br")])
        #expect(b.h("etag") == a.h("etag"))
        #expect(b.body == a.body)
        let g = try await c.get(s.base + "/", [("Accept-Encoding", "gzip")])
        #expect(g.h("content-encoding") == "gzip")
        #expect(try Gzip.decompress(g.body) == Self.html)
    }

    @Test func cachePolicyRoutingAndErrors() async throws {
        let s = try await TestServer(files: try Self.site())
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }

        let fp = try await c.get(s.base + "/assets/app.3f2a9c1d7e.js")
        #expect(fp.h("cache-control") == "public, max-age=31536000, immutable")
        let html = try await c.get(s.base + "/")
        #expect(html.h("cache-control") == "public, max-age=0, must-revalidate")
        #expect(html.h("cdn-cache-control")?.contains("stale-while-revalidate") == true)
        #expect(html.h("content-type") == "text/html; charset=utf-8")

        let dir = try await c.get(s.base + "/docs?x=1")
        #expect(dir.status == 301)
        #expect(dir.h("location") == "/docs/?x=1")
        #expect(try await c.get(s.base + "/docs/").text == "<p>docs</p>")

        let missing = try await c.get(s.base + "/nope.css")
        #expect(missing.status == 404)
        #expect(missing.h("cache-control") == "public, max-age=60")
        #expect(try await c.get(s.base + "/.env").status == 404)

        let post = try await c.get(s.base + "/", method: .POST)
        #expect(post.status == 405)
        #expect(post.h("allow") == "GET, HEAD, OPTIONS")
        let options = try await c.get(s.base + "/", method: .OPTIONS)
        #expect(options.status == 204)
        #expect(options.h("allow") == "GET, HEAD, OPTIONS")
    }

    @Test func changedAddedAndRemovedFilesArePickedUpWithoutRestart() async throws {
        let s = try await TestServer(files: try Self.site())
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let before = try await c.get(s.base + "/css/site.css", [("Accept-Encoding", "br")])

        let newCSS = Array(String(repeating: "body { color: red }\n", count: 50).utf8)
        try s.write("css/site.css", newCSS)
        try s.write("new.txt", Array("fresh".utf8))
        try FileManager.default.removeItem(at: s.root.appendingPathComponent("img/photo.jpg"))

        var after: Got?
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            let g = try await c.get(s.base + "/css/site.css")
            if g.body == newCSS { after = g; break }
        }
        let got = try #require(after, "change not picked up within 5 s")
        #expect(got.h("etag") != before.h("etag"))
        // The old .br no longer decodes to the source: it is dropped, and br is made on the fly.
        let br = try await c.get(s.base + "/css/site.css", [("Accept-Encoding", "br")])
        #expect(br.h("content-encoding") == "br")
        #expect(try Brotli.decompress(br.body) == newCSS)
        #expect(br.h("etag") != before.h("etag"))
        #expect(try await c.get(s.base + "/new.txt").text == "fresh")
        #expect(try await c.get(s.base + "/img/photo.jpg").status == 404)
    }
}
