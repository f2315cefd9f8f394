import Foundation
import NIOHTTP1

/// Fastly, through its purge API (`Fastly-Key` token auth).
///
/// - Tags: `POST /service/{id}/purge` with `{"surrogate_keys":[…]}`, at most 256 keys a call.
/// - URLs: `POST /purge/{host}{path?query}`, one call each (the single-URL purge; the URL
///   without its scheme, origin-form URLs get `base_url`'s host).
/// - Prefixes: Fastly cannot purge by prefix, so a directory prefix (`/img/`) is purged as the
///   surrogate key the origin gives every response below it; any other prefix is refused.
/// - `all`: hard is `POST /service/{id}/purge_all`; soft is a soft purge of the key `/`, which
///   every response carries (purge_all cannot be soft).
///
/// Soft purges send `Fastly-Soft-Purge: 1` (objects are marked stale and revalidated). Calls
/// are paced by a token bucket of `ratePerSecond` shared by all of the provider's calls.
public struct FastlyProvider: PurgeProvider {
    public static let defaultAPI = "https://api.fastly.com"
    /// Keys per bulk purge call (Fastly's limit).
    public static let maxKeysPerCall = 256

    public let name: String
    /// The Fastly service whose cache is purged.
    public let serviceID: String
    let apiToken: String
    /// The API base URL, without a trailing slash.
    public let api: String
    /// The site's base URL (`https://www.example.com`) for origin-form purge URLs.
    public let baseURL: String?
    /// Calls in flight at once.
    public let concurrency: Int
    let bucket: TokenBucket

    /// - Parameter ratePerSecond: most calls a second on average (the bucket holds one second's worth).
    public init(name: String = "fastly", serviceID: String, apiToken: String, api: String = FastlyProvider.defaultAPI,
                baseURL: String? = nil, ratePerSecond: Double = 10, concurrency: Int = 4) {
        self.name = name
        self.serviceID = serviceID
        self.apiToken = apiToken
        self.api = api.hasSuffix("/") ? String(api.dropLast()) : api
        self.baseURL = baseURL
        self.concurrency = max(1, concurrency)
        bucket = TokenBucket(ratePerSecond: ratePerSecond, burst: ratePerSecond)
    }

    /// One API call: a path under ``api`` and an optional JSON body.
    struct Call: Sendable, Equatable {
        let path: String
        let body: [UInt8]?
        /// Keys or URLs it purges, for the summary.
        let items: Int
    }

    /// The calls one purge turns into; throws when part of it cannot be done on Fastly (nothing
    /// is sent then).
    func calls(for request: PurgeRequest) throws(DeliveryError) -> [Call] {
        var keys = request.tags
        for prefix in request.prefixes {
            guard let key = directoryTag(prefix) else {
                throw DeliveryError(retryable: false,
                                    "fastly cannot purge the prefix \(prefix); use a directory prefix ending in /")
            }
            keys.append(key)
        }
        if request.all && request.soft { keys.append("/") }
        var out: [Call] = []
        for url in request.urls {
            guard let resolved = PurgeURL.resolve(url, base: baseURL) else {
                throw DeliveryError(retryable: false, "fastly: the URL \(url) is relative and no base_url is configured")
            }
            out.append(Call(path: "/purge/" + resolved.withoutScheme, body: nil, items: 1))
        }
        let service = "/service/" + serviceID
        for batch in chunked(uniqued(keys), size: Self.maxKeysPerCall) {
            out.append(Call(path: service + "/purge", body: jsonArrayBody("surrogate_keys", batch), items: batch.count))
        }
        if request.all && !request.soft { out.append(Call(path: service + "/purge_all", body: nil, items: 1)) }
        return out
    }

    public func deliver(_ request: PurgeRequest, context: DeliveryContext) async throws(DeliveryError) -> String {
        let calls = try calls(for: request)
        let headers = [("Fastly-Key", apiToken), ("Accept", "application/json")]
            + (request.soft ? [("Fastly-Soft-Purge", "1")] : [])
        let (api, bucket) = (self.api, self.bucket)
        try await forEachConcurrently(calls, width: concurrency) { (call: Call) throws(DeliveryError) in
            await bucket.take()
            var h = headers
            if call.body != nil { h.append(("Content-Type", "application/json")) }
            let what = "fastly POST \(call.path.prefix(200))"
            let response = try await context.send(.POST, api + call.path, headers: h, body: call.body, what: what)
            guard response.status == 200 else {
                throw DeliveryError.from(status: response.status, body: response.body, what: what,
                                         retryAfter: retryAfter(response.headers))
            }
        }
        let urls = request.urls.count
        let keys = calls.filter { $0.body != nil }.reduce(0) { $0 + $1.items }
        var parts = ["\(calls.count) call(s)"]
        if urls > 0 { parts.append("\(urls) URL(s)") }
        if keys > 0 { parts.append("\(keys) surrogate key(s)") }
        if request.all && !request.soft { parts.append("purge_all") }
        return "fastly: " + parts.joined(separator: ", ") + (request.soft ? " (soft)" : "")
    }
}
