import Foundation
import NIOHTTP1
import Testing
@testable import WharfPurge

@Suite struct ProviderSupportTests {
    @Test func burstThenRate() {
        let b = TokenBucket(ratePerSecond: 5, burst: 3)
        // Three at once, then one every 0.2 s; reservations queue up (the count goes negative).
        #expect([b.reserve(now: 0), b.reserve(now: 0), b.reserve(now: 0)] == [0, 0, 0])
        #expect(abs(b.reserve(now: 0) - 0.2) < 1e-9)
        #expect(abs(b.reserve(now: 0) - 0.4) < 1e-9)
        // At 0.4 s the queue has drained: the next waits one interval again.
        #expect(abs(b.reserve(now: 0.4) - 0.2) < 1e-9)
        // A long pause refills to the burst, never beyond.
        #expect((0..<3).map { _ in b.reserve(now: 100) } == [0, 0, 0])
        #expect(b.reserve(now: 100) > 0)
    }

    @Test func fractionalRate() {
        // Cloudflare Free: 5 a minute.
        let b = TokenBucket(ratePerSecond: 5.0 / 60, burst: 1)
        #expect(b.reserve(now: 0) == 0)
        #expect(abs(b.reserve(now: 0) - 12) < 1e-9)
    }

    @Test func takePaces() async {
        let b = TokenBucket(ratePerSecond: 50, burst: 2)
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<7 { group.addTask { await b.take() } }
        }
        // 2 at once, then 5 more at 20 ms each.
        #expect(ContinuousClock.now - start >= .milliseconds(95))
    }

    @Test func retryAfterForms() {
        var h = HTTPHeaders()
        #expect(retryAfter(h) == nil)
        h.replaceOrAdd(name: "Retry-After", value: "7")
        #expect(retryAfter(h) == 7)
        let now = Date(timeIntervalSince1970: 1_445_412_480) // Wed, 21 Oct 2015 07:28:00 GMT
        h.replaceOrAdd(name: "Retry-After", value: "Wed, 21 Oct 2015 07:28:30 GMT")
        #expect(retryAfter(h, now: now) == 30)
        h.replaceOrAdd(name: "Retry-After", value: "soon")
        #expect(retryAfter(h) == nil)
    }

    @Test func jsonBodies() {
        #expect(String(decoding: jsonArrayBody("objects", ["https://a/b", "q\"x\\y\u{1}"]), as: UTF8.self)
                == #"{"objects":["https://a/b","q\"x\\y\u0001"]}"#)
        #expect(String(decoding: jsonArrayBody("tags", []), as: UTF8.self) == #"{"tags":[]}"#)
        #expect(chunked([1, 2, 3, 4, 5], size: 2) == [[1, 2], [3, 4], [5]])
        #expect(chunked([Int](), size: 2).isEmpty)
    }

    @Test func purgeURLs() {
        let base = "https://www.example.com"
        #expect(PurgeURL.resolve("/img/caf\u{e9} 1.jpg?w=1", base: base)?.absolute == "https://www.example.com/img/caf%C3%A9%201.jpg?w=1")
        #expect(PurgeURL.resolve("HTTP://cdn.example.com:8080/a", base: base)?.absolute == "http://cdn.example.com:8080/a")
        #expect(PurgeURL.resolve("https://cdn.example.com?x", base: nil)?.withoutScheme == "cdn.example.com/?x")
        #expect(PurgeURL.resolve("/a", base: nil) == nil)
    }

    @Test func directoryTags() {
        #expect(directoryTag("/img/") == "/img/")
        #expect(directoryTag("/") == "/")
        #expect(directoryTag("/img") == nil)
        // Decoded first, then the shared tag rule (capitals and non-ASCII hash).
        #expect(directoryTag("/caf%C3%A9/") == directoryTag("/caf\u{e9}/"))
        #expect(directoryTag("/Docs/")?.hasPrefix("h.") == true)
    }
}
