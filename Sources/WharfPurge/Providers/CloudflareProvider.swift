import Foundation
import NIOHTTP1

/// Cloudflare, through the zone purge API (`Authorization: Bearer` API token).
///
/// `POST /zones/{zone_id}/purge_cache` with one kind of selector per call — `{"files":[…]}`
/// (absolute URLs), `{"tags":[…]}`, `{"prefixes":["host/path…"]}` (no scheme) or
/// `{"purge_everything":true}` — and at most ``maxItemsPerCall`` items each. A soft purge uses
/// `invalidate_cache` instead (same selectors; content is marked stale and revalidated with the
/// origin's ETag/Last-Modified). Success is HTTP 200 with `"success":true`; otherwise the error
/// carries Cloudflare's `errors[].message`.
///
/// Cloudflare rate-limits purges per account with a token bucket (Pro: 5 requests/s, bucket 25);
/// the provider paces its calls with a bucket of its own of the same shape.
public struct CloudflareProvider: PurgeProvider {
    public static let defaultAPI = "https://api.cloudflare.com/client/v4"

    public let name: String
    /// The zone (site) whose cache is purged.
    public let zoneID: String
    let apiToken: String
    /// The API base URL, without a trailing slash.
    public let api: String
    /// The site's base URL (`https://www.example.com`) for origin-form URLs and for prefixes.
    public let baseURL: String?
    /// Most files, tags or prefixes in one call (100; Enterprise allows 500 URLs).
    public let maxItemsPerCall: Int
    /// Calls in flight at once.
    public let concurrency: Int
    let bucket: TokenBucket

    /// - Parameters:
    ///   - ratePerSecond, burst: request pacing; the defaults are the Pro plan's bucket (Free is
    ///     5 a minute, Business 10/s with 50, Enterprise 50/s with 500).
    public init(name: String = "cloudflare", zoneID: String, apiToken: String, api: String = CloudflareProvider.defaultAPI,
                baseURL: String? = nil, maxItemsPerCall: Int = 100, ratePerSecond: Double = 5, burst: Double = 25,
                concurrency: Int = 4) {
        self.name = name
        self.zoneID = zoneID
        self.apiToken = apiToken
        self.api = api.hasSuffix("/") ? String(api.dropLast()) : api
        self.baseURL = baseURL
        self.maxItemsPerCall = max(1, maxItemsPerCall)
        self.concurrency = max(1, concurrency)
        bucket = TokenBucket(ratePerSecond: ratePerSecond, burst: burst)
    }

    /// One API call: its JSON body, what kind of selector it carries and how many.
    struct Call: Sendable, Equatable {
        let kind: String
        let items: Int
        let body: [UInt8]
    }

    /// The calls one purge turns into; throws when a URL or prefix has no host to go with.
    func calls(for request: PurgeRequest) throws(DeliveryError) -> [Call] {
        var files: [String] = []
        for url in request.urls {
            guard let resolved = PurgeURL.resolve(url, base: baseURL) else {
                throw DeliveryError(retryable: false, "cloudflare: the URL \(url) is relative and no base_url is configured")
            }
            files.append(resolved.absolute)
        }
        var prefixes: [String] = []
        for prefix in request.prefixes {
            guard let resolved = PurgeURL.resolve(prefix, base: baseURL) else {
                throw DeliveryError(retryable: false, "cloudflare: purging the prefix \(prefix) needs base_url (for its host)")
            }
            prefixes.append(resolved.withoutScheme)
        }
        var out: [Call] = []
        for (kind, items) in [("files", uniqued(files)), ("tags", request.tags), ("prefixes", uniqued(prefixes))] {
            for batch in chunked(items, size: maxItemsPerCall) {
                out.append(Call(kind: kind, items: batch.count, body: jsonArrayBody(kind, batch)))
            }
        }
        if request.all { out.append(Call(kind: "purge_everything", items: 1, body: Array(#"{"purge_everything":true}"#.utf8))) }
        return out
    }

    /// The part of Cloudflare's answer envelope that says whether it worked.
    struct Envelope: Decodable {
        struct Message: Decodable {
            let code: Int?
            let message: String?
        }
        let success: Bool?
        let errors: [Message]?

        /// `message (code); …`, or nil when there is none.
        var errorText: String? {
            let texts = (errors ?? []).compactMap { e in e.message.map { m in e.code.map { "\(m) (\($0))" } ?? m } }
            return texts.isEmpty ? nil : texts.joined(separator: "; ")
        }
    }

    public func deliver(_ request: PurgeRequest, context: DeliveryContext) async throws(DeliveryError) -> String {
        let calls = try calls(for: request)
        let endpoint = request.soft ? "invalidate_cache" : "purge_cache"
        let url = "\(api)/zones/\(zoneID)/\(endpoint)"
        let headers = [("Authorization", "Bearer " + apiToken), ("Content-Type", "application/json"),
                       ("Accept", "application/json")]
        let bucket = self.bucket
        try await forEachConcurrently(calls, width: concurrency) { (call: Call) throws(DeliveryError) in
            await bucket.take()
            let what = "cloudflare \(endpoint) \(call.kind) (\(call.items))"
            let response = try await context.send(.POST, url, headers: headers, body: call.body, what: what)
            let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(response.body.utf8))
            if (200..<300).contains(response.status) {
                guard envelope?.success != true else { return }
                // A 2xx without success:true is a refusal the same request will meet again.
                throw DeliveryError(retryable: false, "\(what): \(envelope?.errorText ?? "answered without success: \(response.body.prefix(300))")")
            }
            throw DeliveryError.from(status: response.status, body: envelope?.errorText ?? response.body, what: what,
                                     retryAfter: retryAfter(response.headers))
        }
        var parts: [String] = ["\(calls.count) call(s)"]
        for (kind, noun) in [("files", "URL(s)"), ("tags", "tag(s)"), ("prefixes", "prefix(es)")] {
            let n = calls.filter { $0.kind == kind }.reduce(0) { $0 + $1.items }
            if n > 0 { parts.append("\(n) \(noun)") }
        }
        if request.all { parts.append("everything") }
        return "cloudflare \(endpoint): " + parts.joined(separator: ", ")
    }
}
