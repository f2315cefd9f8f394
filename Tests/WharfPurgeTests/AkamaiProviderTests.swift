import Foundation
import NIOHTTP1
import Testing
import WharfAssets
@testable import WharfPurge

@Suite struct AkamaiProviderTests {
    static let credentials = EdgeGrid(clientToken: "akab-client-token-xxx-xxxxxxxxxxxxxxxx",
                                      clientSecret: "SOMESECRET/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
                                      accessToken: "akab-access-token-xxx-xxxxxxxxxxxxxxxx")
    let api = AkamaiShapeChecker(credentials: credentials)

    func provider(_ api: String?, network: AkamaiProvider.Network = .production, base: String? = "https://www.example.com",
                  credentials: EdgeGrid = credentials) -> AkamaiProvider {
        AkamaiProvider(name: "akamai", host: "akab-xxxx.purge.akamaiapis.net", credentials: credentials, network: network,
                       baseURL: base, api: api, ratePerSecond: 1000, burst: 1000)
    }

    @Test func callShapes() throws {
        let p = provider(nil)
        #expect(p.api == "https://akab-xxxx.purge.akamaiapis.net" && !p.needsServedURLs)
        let soft = try p.calls(for: PurgeRequest(urls: ["/a?x=1", "http://cdn.example.com/b"], soft: true))
        #expect(soft.map(\.path) == ["/ccu/v3/invalidate/url/production"])
        #expect(String(decoding: soft[0].body, as: UTF8.self) == #"{"objects":["https://www.example.com/a?x=1","http://cdn.example.com/b"]}"#)
        // An image URL becomes its source's tag: the format class in the cache key hides variants from URL purges.
        let image = try p.calls(for: PurgeRequest(urls: ["/img/A.jpg?w=300&fm=auto", "/img/b.png"]))
        #expect(image.map(\.path) == ["/ccu/v3/delete/tag/production"])
        #expect(String(decoding: image[0].body, as: UTF8.self) == #"{"objects":["\#(SurrogateTags.tag(for: "/img/A.jpg"))","/img/b.png"]}"#)
        let hard = try provider(nil, network: .staging).calls(for: PurgeRequest(tags: ["t"], prefixes: ["/img/"], all: true))
        #expect(hard.map(\.path) == ["/ccu/v3/delete/tag/staging"])
        #expect(String(decoding: hard[0].body, as: UTF8.self) == #"{"objects":["t","/img/","/"]}"#)
    }

    @Test func packsBodiesBySize() throws {
        // {"objects":[]} is 14 bytes, "aaaa" 6, a comma 1.
        #expect(try AkamaiProvider.pack(["aaaa", "bbbb"], maxBytes: 27) == [["aaaa", "bbbb"]])
        #expect(try AkamaiProvider.pack(["aaaa", "bbbb"], maxBytes: 26) == [["aaaa"], ["bbbb"]])
        #expect(throws: DeliveryError.self) { try AkamaiProvider.pack(["aaaa"], maxBytes: 19) }
    }

    @Test func urlsSplitUnder50000Bytes() async throws {
        try await withChecker(api) { server, context in
            let urls = (0..<1200).map { "/assets/build-2026-10-01/chunk-\($0)-0123456789abcdef0123456789abcdef.js" }
            let detail = try await provider(server.base).deliver(PurgeRequest(urls: urls, soft: true), context: context)
            #expect(server.violations == [])
            let calls = AkamaiShapeChecker.calls(server)
            // About 97 bytes an object: 116 KB of objects go in three bodies, the first two nearly full.
            #expect(calls.count == 3 && calls.allSatisfy { $0.operation == "invalidate" && $0.type == "url" && $0.network == "production" })
            #expect(server.requests.allSatisfy { $0.body.count <= 50_000 })
            #expect(server.requests.map(\.body.count).sorted().suffix(2).allSatisfy { $0 > 49_800 })
            #expect(Set(calls.flatMap(\.objects)) == Set(urls.map { "https://www.example.com" + $0 }))
            let request = try #require(server.requests.first)
            #expect(request.method == "POST" && request.header("Content-Type") == "application/json")
            #expect(request.header("Authorization")?.hasPrefix("EG1-HMAC-SHA256 client_token=akab-client-token-xxx-xxxxxxxxxxxxxxxx;"
                                                              + "access_token=akab-access-token-xxx-xxxxxxxxxxxxxxxx;timestamp=") == true)
            #expect(detail == "akamai production invalidate: 3 call(s), 1200 URL(s), done in ~5s")
        }
    }

    @Test func tagsPrefixesAndAllAsTags() async throws {
        try await withChecker(api) { server, context in
            let p = provider(server.base, network: .staging)
            let detail = try await p.deliver(PurgeRequest(urls: ["https://cdn.example.com/x.css"], tags: ["build.7"],
                                                          prefixes: ["/img/"], all: true), context: context)
            #expect(server.violations == [])
            #expect(AkamaiShapeChecker.calls(server).sorted { $0.type < $1.type } == [
                AkamaiShapeChecker.Call(operation: "delete", type: "tag", network: "staging", objects: ["build.7", "/img/", "/"]),
                AkamaiShapeChecker.Call(operation: "delete", type: "url", network: "staging", objects: ["https://cdn.example.com/x.css"]),
            ])
            #expect(detail == "akamai staging delete: 2 call(s), 1 URL(s), 3 tag(s), done in ~5s")
        }
    }

    @Test func refusesWhatFastPurgeCannotDo() async throws {
        try await withChecker(api) { server, context in
            let prefix = await deliveryError { () async throws(DeliveryError) in
                try await provider(server.base).deliver(PurgeRequest(prefixes: ["/img"]), context: context)
            }
            #expect(prefix?.retryable == false && prefix?.message == "akamai cannot purge the prefix /img; use a directory prefix ending in /")
            let relative = await deliveryError { () async throws(DeliveryError) in
                try await provider(server.base, base: nil).deliver(PurgeRequest(urls: ["/a"]), context: context)
            }
            #expect(relative?.retryable == false)
            #expect(server.requests.isEmpty)
        }
    }

    @Test func answersRetryableOrNot() async throws {
        try await withChecker(api) { server, context in
            let p = provider(server.base)
            let tags = PurgeRequest(tags: (0..<2000).map { "t\($0)" })
            let rateLimitHeaders = [("X-Ratelimit-Remaining", "0"), ("X-Ratelimit-Limit-Per-Second", "50.00"), ("X-Ratelimit-Limit", "100"),
                                    ("X-Ratelimit-Remaining-Objects", "0"), ("X-Ratelimit-Limit-Per-Second-Objects", "200.00"),
                                    ("X-Ratelimit-Limit-Objects", "5000")]
            server.enqueue(AkamaiShapeChecker.problem(429, "Rate Limit exceeded", "too many requests", headers: rateLimitHeaders),
                           AkamaiShapeChecker.problem(429, "Rate Limit exceeded", "too many requests", headers: [("Retry-After", "2")]),
                           AkamaiShapeChecker.problem(503, "Service Unavailable", "try later"),
                           AkamaiShapeChecker.problem(403, "Forbidden", "not authorized to purge these objects"))
            // No Retry-After: the object bucket lacks 2000 tokens at 200 a second, so 10 s (more than the advised 5).
            let limited = await deliveryError { () async throws(DeliveryError) in try await p.deliver(tags, context: context) }
            #expect(limited?.retryable == true && limited?.retryAfter == 10)
            #expect(limited?.message.contains("HTTP 429 Rate Limit exceeded: too many requests (supportId") == true)
            let retryAfter = await deliveryError { () async throws(DeliveryError) in try await p.deliver(tags, context: context) }
            #expect(retryAfter?.retryAfter == 2)
            let unavailable = await deliveryError { () async throws(DeliveryError) in try await p.deliver(tags, context: context) }
            #expect(unavailable?.retryable == true)
            let forbidden = await deliveryError { () async throws(DeliveryError) in try await p.deliver(tags, context: context) }
            #expect(forbidden?.retryable == false && forbidden?.message.contains("HTTP 403 Forbidden") == true)
            // A wrong secret makes a signature Akamai does not accept.
            let wrong = EdgeGrid(clientToken: Self.credentials.clientToken, clientSecret: "another-secret-0123456789",
                                 accessToken: Self.credentials.accessToken)
            let unsigned = await deliveryError { () async throws(DeliveryError) in
                try await provider(server.base, credentials: wrong).deliver(tags, context: context)
            }
            #expect(unsigned?.retryable == false && unsigned?.message.contains("The signature does not match") == true)
            let retried = try await p.deliver(tags, context: context)
            #expect(retried == "akamai production delete: 1 call(s), 2000 tag(s), done in ~5s")
            #expect(server.violations == [])
        }
    }

    @Test func rateLimitDelay() {
        var h = HTTPHeaders()
        #expect(AkamaiProvider.rateLimitDelay(h, objects: 10) == 5)
        h.add(name: "X-Ratelimit-Remaining-Objects", value: "100")
        h.add(name: "X-Ratelimit-Limit-Per-Second-Objects", value: "8.33")
        #expect(AkamaiProvider.rateLimitDelay(h, objects: 50) == 5)
        #expect(abs(AkamaiProvider.rateLimitDelay(h, objects: 600) - 500 / 8.33) < 1e-9)
    }
}
