import Foundation
import Testing
@testable import WharfPurge

@Suite struct CloudflareProviderTests {
    static let token = "cf-token-0123456789abcdef0123456789abcdef"
    static let zone = "023e105f4ecef8ad9ca31a8372d0c353"
    let api = CloudflareShapeChecker(zoneID: zone, token: token)

    func provider(_ api: String, base: String? = "https://www.example.com", token: String = token, maxItems: Int = 100,
                  rate: Double = 1000, burst: Double = 1000) -> CloudflareProvider {
        CloudflareProvider(name: "cloudflare", zoneID: Self.zone, apiToken: token, api: api, baseURL: base,
                           maxItemsPerCall: maxItems, ratePerSecond: rate, burst: burst)
    }

    @Test func callShapes() throws {
        let p = provider("https://api.cloudflare.com/client/v4/", maxItems: 2)
        #expect(p.api == "https://api.cloudflare.com/client/v4" && !p.needsServedURLs)
        let calls = try p.calls(for: PurgeRequest(urls: ["/a", "http://cdn.example.com/b", "/a?x"], tags: ["t1", "t2", "t3"],
                                                  prefixes: ["/img/", "/docs"], all: true))
        #expect(calls.map { String(decoding: $0.body, as: UTF8.self) } == [
            #"{"files":["https://www.example.com/a","http://cdn.example.com/b"]}"#,
            #"{"files":["https://www.example.com/a?x"]}"#,
            #"{"tags":["t1","t2"]}"#,
            #"{"tags":["t3"]}"#,
            #"{"prefixes":["www.example.com/img/","www.example.com/docs"]}"#,
            #"{"purge_everything":true}"#,
        ])
    }

    @Test func oneKindPerCallInBatchesOf100() async throws {
        try await withChecker(api) { server, context in
            let tags = (0..<250).map { "build.\($0)" }
            let request = PurgeRequest(urls: ["/a.css", "https://cdn.example.com/caf\u{e9}.jpg?w=1"], tags: tags,
                                       prefixes: ["/img/", "/docs/v1"])
            let detail = try await provider(server.base).deliver(request, context: context)
            #expect(server.violations == [])
            let calls = CloudflareShapeChecker.calls(server)
            #expect(Set(calls.map(\.endpoint)) == ["purge_cache"])
            #expect(calls.filter { $0.kind == "tags" }.map(\.items.count).sorted() == [50, 100, 100])
            #expect(Set(calls.filter { $0.kind == "tags" }.flatMap(\.items)) == Set(tags))
            #expect(calls.filter { $0.kind == "files" }.map(\.items)
                    == [["https://www.example.com/a.css", "https://cdn.example.com/caf%C3%A9.jpg?w=1"]])
            #expect(calls.filter { $0.kind == "prefixes" }.map(\.items) == [["www.example.com/img/", "www.example.com/docs/v1"]])
            // One request in full.
            let files = try #require(server.requests.first { $0.json?["files"] != nil })
            #expect(files.method == "POST" && files.uri == "/zones/\(Self.zone)/purge_cache")
            #expect(files.header("Authorization") == "Bearer " + Self.token && files.header("Content-Type") == "application/json")
            #expect(String(decoding: files.body, as: UTF8.self)
                    == #"{"files":["https://www.example.com/a.css","https://cdn.example.com/caf%C3%A9.jpg?w=1"]}"#)
            #expect(detail == "cloudflare purge_cache: 5 call(s), 2 URL(s), 250 tag(s), 2 prefix(es)")
        }
    }

    @Test func softUsesInvalidateCache() async throws {
        try await withChecker(api) { server, context in
            let p = provider(server.base)
            _ = try await p.deliver(PurgeRequest(tags: ["a"], soft: true), context: context)
            _ = try await p.deliver(PurgeRequest(all: true, soft: true), context: context)
            _ = try await p.deliver(PurgeRequest(all: true), context: context)
            #expect(CloudflareShapeChecker.calls(server) == [
                .init(endpoint: "invalidate_cache", kind: "tags", items: ["a"]),
                .init(endpoint: "invalidate_cache", kind: "purge_everything", items: ["true"]),
                .init(endpoint: "purge_cache", kind: "purge_everything", items: ["true"]),
            ])
            #expect(server.violations == [])
        }
    }

    @Test func refusesWithoutAHost() async throws {
        try await withChecker(api) { server, context in
            let p = provider(server.base, base: nil)
            for request in [PurgeRequest(urls: ["/a"]), PurgeRequest(prefixes: ["/img/"])] {
                let error = await deliveryError { () async throws(DeliveryError) in try await p.deliver(request, context: context) }
                #expect(error?.retryable == false && error?.message.contains("base_url") == true)
            }
            #expect(server.requests.isEmpty)
        }
    }

    @Test func answersCarryCloudflareMessages() async throws {
        try await withChecker(api) { server, context in
            let p = provider(server.base)
            let request = PurgeRequest(tags: ["a"])
            server.enqueue(.json(429, CloudflareShapeChecker.failure(971, "Please wait and consider throttling your request speed"),
                                 headers: [("Retry-After", "3")]),
                           .json(500, CloudflareShapeChecker.failure(10001, "Internal error")),
                           .json(200, CloudflareShapeChecker.failure(1134, "Purge request rejected")))
            let limited = await deliveryError { () async throws(DeliveryError) in try await p.deliver(request, context: context) }
            #expect(limited?.retryable == true && limited?.retryAfter == 3)
            #expect(limited?.message == "cloudflare purge_cache tags (1): HTTP 429 Please wait and consider throttling your request speed (971)")
            let serverError = await deliveryError { () async throws(DeliveryError) in try await p.deliver(request, context: context) }
            #expect(serverError?.retryable == true && serverError?.message.contains("Internal error (10001)") == true)
            // 200 without success is a refusal.
            let refused = await deliveryError { () async throws(DeliveryError) in try await p.deliver(request, context: context) }
            #expect(refused?.retryable == false && refused?.message.contains("Purge request rejected (1134)") == true)
            let denied = await deliveryError { () async throws(DeliveryError) in
                try await provider(server.base, token: "wrong-token-0123456789").deliver(request, context: context)
            }
            #expect(denied?.retryable == false)
            #expect(denied?.message == "cloudflare purge_cache tags (1): HTTP 403 Authentication error (10000)")
            let retried = try await p.deliver(request, context: context)
            #expect(retried == "cloudflare purge_cache: 1 call(s), 1 tag(s)")
            #expect(server.violations == [])
        }
    }

    @Test func pacedWithinTheAccountBucket() async throws {
        // The checker enforces a bucket of 50/s holding 10: the client's 5 plus 5 of slack (100 ms)
        // for scheduling jitter on a busy machine.
        var limited = api
        limited.limit = (rate: 50, burst: 10)
        try await withChecker(limited) { server, context in
            // Paced to 50/s with 5 at once: no 429.
            _ = try await provider(server.base, maxItems: 1, rate: 50, burst: 5)
                .deliver(PurgeRequest(tags: (0..<20).map { "t\($0)" }), context: context)
            #expect(server.requests.count == 20 && server.violations == [])
        }
        // Unpaced, 40 calls run into a bucket of 5/s holding 2 (small enough that even a machine
        // busy with the rest of the suite sends faster), and the 429 asks to wait. `api` is this
        // suite's CloudflareShapeChecker: the local request-shape checker of Cloudflare's documented API
        // (its live API is unreachable from here; the README says what was never verified live).
        var tight = api
        tight.limit = (rate: 5, burst: 2)
        try await withChecker(tight) { server, context in
            let error = await deliveryError { () async throws(DeliveryError) in
                try await provider(server.base, maxItems: 1).deliver(PurgeRequest(tags: (0..<40).map { "t\($0)" }), context: context)
            }
            #expect(error?.retryable == true && error?.retryAfter == 1)
        }
    }
}
