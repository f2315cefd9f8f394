import Foundation
import NIOConcurrencyHelpers
import Testing
import WharfAssets
import WharfImage
@testable import WharfServer

/// Image transforms through the real server: negotiation, caching headers, 304 and ranges on
/// variants, coalescing, the result cache across restarts, the saturated queue, bad input.
@Suite(.serialized) struct ImageFlowTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("WharfImageTests/Fixtures")
    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static let chromeAccept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

    static func site() throws -> [String: [UInt8]] {
        let jpeg = try fixture("hubble_deep_field.jpg")
        return [
            "img/rocket.jpg": try fixture("rocket.jpg"),
            "img/hubble.jpg": jpeg,
            "img/alpha.png": try fixture("alpha.png"),
            "img/truncated.jpg": Array(jpeg.prefix(jpeg.count / 2)),
            "img/text.jpg": Array("this is not an image, whatever its name says".utf8),
            "img/bomb.png": try fixture("bomb-60000x60000.png"),
            "css/site.css": Array("body{}".utf8),
        ]
    }

    static func cacheDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("wharf-imgcache-\(UUID().uuidString)").path
    }

    static func server(cache: String = cacheDirectory(), _ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        try await TestServer(files: try site()) { c in
            c.images.cacheDirectory = cache
            configure(&c)
        }
    }

    /// A counter from the admin listener's /metrics (0 when absent).
    static func metric(_ c: Client, _ s: TestServer, _ name: String, _ labels: String) async throws -> Int {
        let text = try await c.get("http://127.0.0.1:\(s.adminPort)/metrics").text
        for line in text.split(separator: "\n") where (line.hasPrefix(name + "{") || line.hasPrefix(name + " ")) && (labels.isEmpty || line.contains(labels)) {
            return Int(Double(line.split(separator: " ").last!)!)
        }
        return 0
    }

    static func magic(_ body: [UInt8]) -> String {
        if body.count > 12, Array(body[4..<12]) == Array("ftypavif".utf8) { return "avif" }
        if body.count > 12, Array(body[0..<4]) == Array("RIFF".utf8), Array(body[8..<12]) == Array("WEBP".utf8) { return "webp" }
        if body.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpeg" }
        if body.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "png" }
        return "?"
    }

    @Test func negotiationVaryAndCachingHeaders() async throws {
        let s = try await Self.server()
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let u = s.base + "/img/rocket.jpg?w=200&fm=auto"

        let avif = try await c.get(u, [("Accept", Self.chromeAccept)])
        #expect(avif.status == 200)
        #expect(avif.h("content-type") == "image/avif")
        #expect(Self.magic(avif.body) == "avif")
        #expect(avif.h("vary") == "Accept")
        #expect(avif.h("content-length") == String(avif.body.count))
        let etag = try #require(avif.h("etag"))
        #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
        // The source's policy (a non-fingerprinted asset).
        #expect(avif.h("cache-control") == "public, max-age=3600, stale-while-revalidate=86400, stale-if-error=86400")
        #expect(avif.h("last-modified") != nil)

        let webp = try await c.get(u, [("Accept", "image/webp,*/*")])
        #expect(webp.h("content-type") == "image/webp" && Self.magic(webp.body) == "webp")
        #expect(webp.h("vary") == "Accept")
        let plain = try await c.get(u)
        #expect(plain.h("content-type") == "image/jpeg" && Self.magic(plain.body) == "jpeg")
        #expect(plain.h("vary") == "Accept")
        #expect(Set([etag, webp.h("etag")!, plain.h("etag")!]).count == 3)

        // A fixed format does not negotiate, so it does not vary.
        let fixed = try await c.get(s.base + "/img/rocket.jpg?w=200&fm=webp", [("Accept", Self.chromeAccept)])
        #expect(fixed.h("content-type") == "image/webp")
        #expect(fixed.h("vary") == nil)
        #expect(fixed.body == webp.body) // same canonical output, shared by both URLs
        // No parameters: the file itself; cache busters are not transforms.
        let original = try await c.get(s.base + "/img/rocket.jpg?v=3", [("Accept", Self.chromeAccept)])
        #expect(original.body == (try Self.fixture("rocket.jpg")))
        #expect(original.h("vary") == nil)

        // HEAD is GET without the body.
        let head = try await c.get(u, method: .HEAD, [("Accept", Self.chromeAccept)])
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(head.h("etag") == etag && head.h("content-length") == avif.h("content-length"))

        // 304 on the variant's ETag, with its validators; ranges on its bytes.
        let nm = try await c.get(u, [("Accept", Self.chromeAccept), ("If-None-Match", etag)])
        #expect(nm.status == 304 && nm.body.isEmpty)
        #expect(nm.h("etag") == etag && nm.h("vary") == "Accept" && nm.h("cache-control") == avif.h("cache-control"))
        let part = try await c.get(u, [("Accept", Self.chromeAccept), ("Range", "bytes=4-11")])
        #expect(part.status == 206)
        #expect(part.body == Array("ftypavif".utf8))
        #expect(part.h("content-range") == "bytes 4-11/\(avif.body.count)")

        // Aliases and order are one cache entry: no second transform.
        let before = try await Self.metric(c, s, "wharf_image_transforms_total", "result=\"ok\"")
        let alias = try await c.get(s.base + "/img/rocket.jpg?format=webp&width=200")
        #expect(alias.h("etag") == fixed.h("etag"))
        #expect(try await Self.metric(c, s, "wharf_image_transforms_total", "result=\"ok\"") == before)
    }

    @Test func variantsCarryTheSourcesSurrogateTags() async throws {
        let s = try await Self.server { $0.tags.headers = TagHeader.allCases }
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let source = try await c.get(s.base + "/img/rocket.jpg")
        #expect(source.h("surrogate-key") == "/img/rocket.jpg /img/ /")
        let variant = try await c.get(s.base + "/img/rocket.jpg?w=50&fm=auto", [("Accept", Self.chromeAccept)])
        #expect(variant.h("content-type") == "image/avif")
        #expect(variant.h("surrogate-key") == "/img/rocket.jpg /img/ /")
        #expect(variant.h("xkey") == "/img/rocket.jpg /img/ /")
        #expect(variant.h("cache-tag") == "/img/rocket.jpg,/img/,/")
        #expect(variant.h("edge-cache-tag") == "/img/rocket.jpg,/img/,/")
        #expect(variant.h("cache-groups") == "\"/img/rocket.jpg\", \"/img/\", \"/\"")
        let nm = try await c.get(s.base + "/img/rocket.jpg?w=50&fm=auto", [("Accept", Self.chromeAccept), ("If-None-Match", variant.h("etag")!)])
        #expect(nm.status == 304 && nm.h("surrogate-key") == "/img/rocket.jpg /img/ /")
        // Cached errors and 404s are tagged too, so a deploy's purge clears them.
        #expect(try await c.get(s.base + "/img/text.jpg?w=5").h("surrogate-key") == "/img/text.jpg /img/ /")
        #expect(try await c.get(s.base + "/img/later.jpg").h("surrogate-key") == "/img/later.jpg /img/ /")
        #expect(try await c.get(s.base + "/css/site.css").h("cache-tag") == "/css/site.css,/css/,/")
    }

    @Test func aChangedSourceGivesNewVariants() async throws {
        let s = try await Self.server()
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let u = s.base + "/img/rocket.jpg?w=100&fm=png"
        let before = try await c.get(u)
        #expect(before.status == 200)
        // Deploy a different photo under the same name (write elsewhere + rename, as deploys do).
        try s.write("img/rocket.jpg", try Self.fixture("chelsea.png"))
        var after = before
        for _ in 0..<40 where after.h("etag") == before.h("etag") {
            try await Task.sleep(for: .milliseconds(100))
            after = try await c.get(u)
        }
        #expect(after.status == 200 && after.h("etag") != before.h("etag"))
        #expect(after.body != before.body)
        #expect(try await Self.metric(c, s, "wharf_image_transforms_total", "result=\"ok\"") == 2)
    }

    @Test func transformsOverHTTP2() async throws {
        let s = try await Self.server()
        defer { Task { await s.stop() } }
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-h2-\(UUID().uuidString).img")
        defer { try? FileManager.default.removeItem(at: body) }
        let out = try run("/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "-D", "-", "-o", body.path,
                                            "-H", "Accept: \(Self.chromeAccept)", s.base + "/img/rocket.jpg?w=120&fm=auto"])
        let head = String(decoding: out.stdout, as: UTF8.self)
        #expect(head.hasPrefix("HTTP/2 200"), "\(head)")
        #expect(head.contains("content-type: image/avif"))
        #expect(head.contains("vary: Accept"))
        #expect(Self.magic([UInt8](try Data(contentsOf: body))) == "avif")
        let bad = try run("/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
                                            s.base + "/img/rocket.jpg?w=0"])
        #expect(String(decoding: bad.stdout, as: UTF8.self).hasPrefix("HTTP/2 400"))
    }

    @Test func reviewCases() async throws {
        let s = try await TestServer(files: try Self.site().merging(["img/anim.gif": try Self.fixture("animated.gif")]) { $1 }) {
            $0.images.cacheDirectory = Self.cacheDirectory()
        }
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        // An error about a negotiated output varies on Accept like the output would.
        let e = try await c.get(s.base + "/img/truncated.jpg?w=50&fm=auto", [("Accept", Self.chromeAccept)])
        #expect(e.status == 422 && e.h("vary") == "Accept")
        #expect(try await c.get(s.base + "/img/truncated.jpg?w=50&fm=webp").h("vary") == nil)
        // fm=png on a GIF is a PNG, not the GIF.
        let png = try await c.get(s.base + "/img/anim.gif?fm=png")
        #expect(png.h("content-type") == "image/png" && Self.magic(png.body) == "png")
        // Another spelling of an output in memory is a memory hit, not a new job.
        _ = try await c.get(s.base + "/img/rocket.jpg?w=77&fm=webp")
        let jobs = try await Self.metric(c, s, "wharf_image_variant_responses_total", "source=\"transformed\"")
        for spelling in ["width=77&format=webp", "fm=webp&w=77", "w=77&&fm=webp&", "%77=77&fm=webp"] {
            #expect(try await c.get(s.base + "/img/rocket.jpg?" + spelling).status == 200, "\(spelling)")
        }
        #expect(try await Self.metric(c, s, "wharf_image_variant_responses_total", "source=\"transformed\"") == jobs)
        #expect(try await Self.metric(c, s, "wharf_image_variant_responses_total", "source=\"disk\"") == 0)
    }

    @Test func autoFormatByDefaultNegotiatesPlainRequests() async throws {
        let s = try await Self.server { $0.images.options.autoFormatByDefault = true }
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let avif = try await c.get(s.base + "/img/rocket.jpg", [("Accept", Self.chromeAccept)])
        #expect(avif.h("content-type") == "image/avif" && avif.h("vary") == "Accept")
        let original = try await c.get(s.base + "/img/rocket.jpg", [("Accept", "*/*")])
        #expect(original.body == (try Self.fixture("rocket.jpg")))
        #expect(original.h("vary") == "Accept")
        #expect(try await c.get(s.base + "/img/rocket.jpg?fm=jpeg").h("vary") == nil)
    }

    @Test func concurrentIdenticalRequestsRunOneTransform() async throws {
        let s = try await Self.server()
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let u = s.base + "/img/hubble.jpg?w=777&fm=avif"
        let tags = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<12 { group.addTask { try await c.get(u).h("etag") } }
            var out: [String?] = []
            for try await t in group { out.append(t) }
            return out
        }
        #expect(Set(tags).count == 1 && tags[0] != nil)
        #expect(try await Self.metric(c, s, "wharf_image_transforms_total", "result=\"ok\"") == 1)
        let coalesced = try await Self.metric(c, s, "wharf_image_variant_responses_total", "source=\"coalesced\"")
        let memory = try await Self.metric(c, s, "wharf_image_variant_responses_total", "source=\"memory\"")
        #expect(coalesced + memory == 11)
        #expect(coalesced >= 1)
    }

    @Test func theResultCacheSurvivesARestart() async throws {
        let cache = Self.cacheDirectory()
        let a = try await Self.server(cache: cache)
        let c = try Client()
        let first = try await c.get(a.base + "/img/rocket.jpg?w=222&fm=webp")
        #expect(try await Self.metric(c, a, "wharf_image_transforms_total", "result=\"ok\"") == 1)
        await a.stop()

        let b = try await Self.server(cache: cache)
        defer { Task { try? await c.shutdown(); await b.stop() } }
        let again = try await c.get(b.base + "/img/rocket.jpg?w=222&fm=webp")
        #expect(again.status == 200 && again.body == first.body && again.h("etag") == first.h("etag"))
        #expect(try await Self.metric(c, b, "wharf_image_transforms_total", "result=\"ok\"") == 0)
        #expect(try await Self.metric(c, b, "wharf_image_variant_responses_total", "source=\"disk\"") == 1)
        // Content-addressed: one file per output, nothing left in tmp/.
        let files = try FileManager.default.subpathsOfDirectory(atPath: cache).filter { $0.hasSuffix(".webp") }
        #expect(files.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/tmp").isEmpty)
    }

    @Test func aSaturatedQueueAnswers503WithRetryAfter() async throws {
        let s = try await Self.server {
            $0.images.workers = 1
            $0.images.queueLimit = 1
        }
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let statuses = try await withThrowingTaskGroup(of: (Int, String?, String?).self) { group in
            for w in 0..<8 {
                group.addTask {
                    let r = try await c.get(s.base + "/img/hubble.jpg?w=\(900 - w)&fm=avif")
                    return (r.status, r.h("retry-after"), r.h("cache-control"))
                }
            }
            var out: [(Int, String?, String?)] = []
            for try await r in group { out.append(r) }
            return out
        }
        let busy = statuses.filter { $0.0 == 503 }
        #expect(statuses.contains { $0.0 == 200 })
        #expect(!busy.isEmpty)
        #expect(busy.allSatisfy { $0.1 == "1" && $0.2 == "no-store" })
        #expect(try await Self.metric(c, s, "wharf_image_queue_rejections_total", "") == busy.count)
        // Once the queue drains, the same request works.
        #expect(try await c.get(s.base + "/img/hubble.jpg?w=900&fm=avif").status == 200)
    }

    /// One address may hold only `images.max_per_client` transforms; others are still served.
    @Test func oneClientCannotTakeTheWholeTransformQueue() async throws {
        let s = try await Self.server {
            $0.images.workers = 1
            $0.images.maxPerClient = 2
        }
        defer { Task { await s.stop() } }
        // Client A (127.0.0.1) asks for eight cold AVIF transforms at once, and client B
        // (127.0.0.2) for one meanwhile: a thread each (blocking sockets, truly concurrent).
        let results = NIOLockedValueBox([(Int, String?)]())
        let group = DispatchGroup()
        for i in 0..<9 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let isB = i == 8
                if isB { Thread.sleep(forTimeInterval: 0.05) }
                guard let raw = try? RawClient(port: s.port, from: isB ? "127.0.0.2" : nil) else { return }
                raw.send("GET /img/hubble.jpg?w=\(isB ? 500 : 800 - i)&fm=\(isB ? "webp" : "avif") HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                guard let r = raw.readResponse() else { return }
                let status = Int(r.head.split(separator: " ")[1]) ?? -1
                results.withLockedValue { $0.append(((isB ? 1000 : 0) + status, r.head.header("retry-after"))) }
            }
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                group.wait()
                done.resume()
            }
        }
        let greedy = results.withLockedValue { $0 }
        let a = greedy.filter { $0.0 < 1000 }
        #expect(greedy.contains { $0.0 == 1200 }, "client B was not served: \(greedy)")
        #expect(a.filter { $0.0 == 200 }.count >= 2, "client A: \(a)")
        #expect(a.contains { $0.0 == 429 } && a.filter { $0.0 == 429 }.allSatisfy { $0.1 == "1" }, "client A: \(a)")
        #expect(a.allSatisfy { $0.0 == 200 || $0.0 == 429 }, "client A: \(a)")
    }

    @Test func badInputGetsAClearStatusAndLeavesNothingBehind() async throws {
        let cache = Self.cacheDirectory()
        let s = try await Self.server(cache: cache)
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        func check(_ path: String, _ status: Int, _ message: String) async throws {
            let r = try await c.get(s.base + path)
            #expect(r.status == status, "\(path): \(r.status) \(r.text)")
            #expect(r.text.contains(message), "\(path): \(r.text)")
        }
        try await check("/img/rocket.jpg?w=abc", 400, "w: must be a whole number")
        try await check("/img/rocket.jpg?w=10&blur=3", 400, "blur: unknown parameter")
        try await check("/img/rocket.jpg?fit=squash&w=1", 400, "fit: must be one of")
        try await check("/img/rocket.jpg?w=9000", 400, "w: must be a whole number of pixels from 1 to 8192")
        try await check("/img/rocket.jpg?w=5000&dpr=2", 400, "over the limit of 8192")
        try await check("/img/truncated.jpg?w=100", 422, "corrupt or truncated")
        try await check("/img/text.jpg?w=100", 422, "not a decodable image")
        try await check("/img/bomb.png?w=100", 422, "over the limit of 50 MP")
        try await check("/img/missing.jpg?w=100", 404, "not found")
        // Client and source errors may be cached briefly, like a 404.
        #expect(try await c.get(s.base + "/img/text.jpg?w=100").h("cache-control") == "public, max-age=60")
        // The server is fine, and no temp or partial file was left in the cache.
        #expect(try await c.get(s.base + "/img/rocket.jpg?w=100").status == 200)
        s.server.imageCache?.flush() // cache files are written behind the response
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache + "/tmp").isEmpty)
        let files = try FileManager.default.subpathsOfDirectory(atPath: cache).filter { $0.contains(".") }
        #expect(files.count == 1, "\(files)")
        #expect(try await Self.metric(c, s, "wharf_image_transforms_total", "result=\"error\"") >= 2)
    }

    @Test func sourceLimitsAreConfigurable() async throws {
        let s = try await Self.server {
            $0.images.options.maxSourceBytes = 100_000
            $0.images.options.maxSourcePixels = 500_000
        }
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        // hubble.jpg is 527,940 bytes; rocket.jpg (112,525 bytes) fits neither.
        let bytes = try await c.get(s.base + "/img/hubble.jpg?w=100")
        #expect(bytes.status == 422 && bytes.text.contains("bytes, over the limit of 100000"), "\(bytes.text)")
        let big = try await c.get(s.base + "/img/alpha.png?w=10")
        #expect(big.status == 200)
        let pixels = try await c.get(s.base + "/img/bomb.png?w=10")
        #expect(pixels.status == 422 && pixels.text.contains("over the limit"))
        // The files themselves are still served.
        #expect(try await c.get(s.base + "/img/hubble.jpg").status == 200)
    }

    @Test func signedURLs() async throws {
        let key = "0123456789abcdef-test-key"
        let s = try await Self.server {
            $0.images.options.signingKeys = [Array(key.utf8)]
        }
        let c = try Client()
        defer { Task { try? await c.shutdown(); await s.stop() } }
        let signer = URLSigner(keys: [Array(key.utf8)])
        let sig = signer.sign("/img/rocket.jpg?fm=webp&w=120")
        // Any alias and order: the signature covers the normalised query.
        let ok = try await c.get(s.base + "/img/rocket.jpg?width=120&format=webp&s=\(sig)")
        #expect(ok.status == 200 && ok.h("content-type") == "image/webp")
        let unsigned = try await c.get(s.base + "/img/rocket.jpg?w=120&fm=webp")
        #expect(unsigned.status == 403 && unsigned.text.contains("signature required"))
        let wrong = try await c.get(s.base + "/img/rocket.jpg?w=121&fm=webp&s=\(sig)")
        #expect(wrong.status == 403 && wrong.text.contains("invalid signature"))
        // The file itself needs no signature.
        #expect(try await c.get(s.base + "/img/rocket.jpg").status == 200)
    }
}
