import AsyncHTTPClient
import Foundation
import Testing
@testable import WharfPurge

@Suite struct FastlyProviderTests {
    static let token = "fastly-token-0123456789abcdef"
    static let service = "SU1Z0isxPaozGVKXdv0eY"
    let api = FastlyShapeChecker(serviceID: service, token: token)

    func provider(_ api: String, base: String? = "https://www.example.com", rate: Double = 1000,
                  token: String = token) -> FastlyProvider {
        FastlyProvider(name: "fastly", serviceID: Self.service, apiToken: token, api: api + "/", baseURL: base, ratePerSecond: rate)
    }

    @Test func callShapes() throws {
        let p = provider("https://api.fastly.com")
        #expect(p.api == "https://api.fastly.com" && !p.needsServedURLs)
        let calls = try p.calls(for: PurgeRequest(urls: ["/a?x=1"], tags: ["a", "b"], prefixes: ["/img/", "/"], all: true))
        #expect(calls.map(\.path) == ["/purge/www.example.com/a?x=1", "/service/\(Self.service)/purge", "/service/\(Self.service)/purge_all"])
        #expect(calls[1].body.map { String(decoding: $0, as: UTF8.self) } == #"{"surrogate_keys":["a","b","/img/","/"]}"#)
        #expect(calls[2].body == nil)
        // Soft all is the "/" key (purge_all cannot be soft); "/" is not sent twice.
        let soft = try p.calls(for: PurgeRequest(prefixes: ["/"], all: true, soft: true))
        #expect(soft.map(\.path) == ["/service/\(Self.service)/purge"] && soft[0].items == 1)
    }

    @Test func tagsPrefixesAndURLsSoft() async throws {
        try await withChecker(api) { server, context in
            let tags = (0..<600).map { "t\($0)" }
            let request = PurgeRequest(urls: ["/a.css?v=1", "https://cdn.example.com/caf\u{e9}.jpg"], tags: tags,
                                       prefixes: ["/img/", "/Docs/"], soft: true)
            let detail = try await provider(server.base).deliver(request, context: context)
            #expect(server.violations == [])
            let purged = FastlyShapeChecker.purged(server)
            #expect(purged.keys.count == 602)
            #expect(Set(purged.keys) == Set(tags + ["/img/", directoryTag("/Docs/")!]))
            #expect(purged.urls.sorted() == ["cdn.example.com/caf%C3%A9.jpg", "www.example.com/a.css?v=1"])
            #expect(purged.all == 0 && purged.softCalls == 5 && server.requests.count == 5)
            // At most 256 keys a call: 602 keys are three calls.
            let batches = server.requests.compactMap { ($0.json?["surrogate_keys"] as? [String])?.count }
            #expect(batches.sorted() == [90, 256, 256])
            // One request in full.
            let first = try #require(server.requests.first { ($0.json?["surrogate_keys"] as? [String])?.first == "t0" })
            #expect(first.method == "POST" && first.uri == "/service/\(Self.service)/purge")
            #expect(first.header("Fastly-Key") == Self.token && first.header("Accept") == "application/json")
            #expect(first.header("Content-Type") == "application/json" && first.header("Fastly-Soft-Purge") == "1")
            #expect(String(decoding: first.body, as: UTF8.self)
                    == #"{"surrogate_keys":["# + tags.prefix(256).map { "\"\($0)\"" }.joined(separator: ",") + "]}")
            #expect(detail == "fastly: 5 call(s), 2 URL(s), 602 surrogate key(s) (soft)")
        }
    }

    @Test func purgeAllHardAndSoft() async throws {
        try await withChecker(api) { server, context in
            let p = provider(server.base)
            _ = try await p.deliver(PurgeRequest(all: true), context: context)
            let hard = try #require(server.requests.last)
            #expect(hard.uri == "/service/\(Self.service)/purge_all" && hard.body.isEmpty)
            #expect(hard.header("Fastly-Soft-Purge") == nil && hard.header("Fastly-Key") == Self.token)
            _ = try await p.deliver(PurgeRequest(all: true, soft: true), context: context)
            let soft = try #require(server.requests.last)
            #expect(soft.uri == "/service/\(Self.service)/purge" && soft.header("Fastly-Soft-Purge") == "1")
            #expect(String(decoding: soft.body, as: UTF8.self) == #"{"surrogate_keys":["/"]}"#)
            #expect(server.violations == [] && server.requests.count == 2)
        }
    }

    @Test func refusesWhatFastlyCannotDo() async throws {
        try await withChecker(api) { server, context in
            let p = provider(server.base)
            let prefix = await deliveryError { () async throws(DeliveryError) in
                try await p.deliver(PurgeRequest(tags: ["a"], prefixes: ["/img"]), context: context)
            }
            #expect(prefix?.retryable == false)
            #expect(prefix?.message == "fastly cannot purge the prefix /img; use a directory prefix ending in /")
            let relative = await deliveryError { () async throws(DeliveryError) in
                try await provider(server.base, base: nil).deliver(PurgeRequest(urls: ["/a.css"]), context: context)
            }
            #expect(relative?.retryable == false && relative?.message.contains("base_url") == true)
            // Nothing was sent for either.
            #expect(server.requests.isEmpty)
        }
    }

    @Test func answersRetryableOrNot() async throws {
        try await withChecker(api) { server, context in
            let p = provider(server.base)
            let request = PurgeRequest(tags: ["a"])
            server.enqueue(.json(429, #"{"msg":"Too many requests"}"#, headers: [("Retry-After", "7")]),
                           .json(503, #"{"msg":"Service unavailable"}"#))
            let limited = await deliveryError { () async throws(DeliveryError) in try await p.deliver(request, context: context) }
            #expect(limited?.retryable == true && limited?.retryAfter == 7)
            #expect(limited?.message.contains("HTTP 429") == true)
            let unavailable = await deliveryError { () async throws(DeliveryError) in try await p.deliver(request, context: context) }
            #expect(unavailable?.retryable == true && unavailable?.retryAfter == nil)
            // The retry goes through.
            let retried = try await p.deliver(request, context: context)
            #expect(retried == "fastly: 1 call(s), 1 surrogate key(s)")
            let denied = await deliveryError { () async throws(DeliveryError) in
                try await provider(server.base, token: "wrong-token-0123456789").deliver(request, context: context)
            }
            #expect(denied?.retryable == false && denied?.message.contains("HTTP 401") == true)
            #expect(server.violations == [])
        }
    }

    @Test func unreachableAPIIsRetryable() async throws {
        try await withChecker(api) { _, context in
            // Nothing listens on port 1 of the loopback address; the client keeps trying to
            // connect until the request's deadline.
            let short = DeliveryContext(http: context.http, timeout: .milliseconds(300), expand: context.expand)
            let error = await deliveryError { () async throws(DeliveryError) in
                try await provider("http://127.0.0.1:1").deliver(PurgeRequest(tags: ["a"]), context: short)
            }
            #expect(error?.retryable == true)
        }
    }

    /// An API that accepts the connection and never answers (issue #7): the attempt ends at the
    /// request timeout as a retryable failure, not a hang.
    @Test func hangingAPIIsRetryableAtTheTimeout() async throws {
        // A listening socket nobody accepts on: the kernel completes the handshake, and the
        // request then waits for an answer that never comes.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard bind(fd, sa, length) == 0, listen(fd, 16) == 0, getsockname(fd, sa, &length) == 0 else {
                    throw DeliveryError(retryable: false, "cannot listen: \(errno)")
                }
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        // No checker here: the provider talks to the silent socket above, which is what is under test.
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let short = DeliveryContext(http: http, timeout: .milliseconds(500)) { _, _, _ in [] }
        let start = ContinuousClock.now
        let error = await deliveryError { () async throws(DeliveryError) in
            try await provider("http://127.0.0.1:\(port)").deliver(PurgeRequest(tags: ["a"]), context: short)
        }
        try await http.shutdown()
        #expect(error?.retryable == true, "\(String(describing: error))")
        // The attempt's own 0.5 s deadline ends it, far sooner than purge.request_timeout's 30 s
        // default. The bound is loose: under the whole suite, tests that block threads of the
        // cooperative pool have delayed this test's continuation by up to ~21 s on a fresh
        // machine; 25 s still tells the 0.5 s deadline from the 30 s one.
        #expect(ContinuousClock.now - start < .seconds(25))
    }

    @Test func callsArePaced() async throws {
        try await withChecker(api) { server, context in
            // 20 a second: a burst of 20 calls, then one every 50 ms, so the 30th waits 0.5 s.
            let p = provider(server.base, rate: 20)
            let start = ContinuousClock.now
            _ = try await p.deliver(PurgeRequest(urls: (0..<30).map { "/f\($0)" }), context: context)
            #expect(ContinuousClock.now - start >= .milliseconds(480))
            #expect(server.requests.count == 30 && server.violations == [])
        }
    }
}
