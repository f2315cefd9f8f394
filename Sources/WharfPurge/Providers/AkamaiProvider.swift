import Foundation
import WharfAssets
import NIOHTTP1
import WharfHTTP

/// Akamai, through Fast Purge v3 with EdgeGrid-signed requests.
///
/// `POST /ccu/v3/{invalidate|delete}/{url|tag}/{production|staging}` with `{"objects":[…]}`: a
/// soft purge invalidates (the edge revalidates with If-Modified-Since), a hard one deletes. URLs
/// are sent absolute (`base_url` for origin-form ones), one object type per call, and calls are
/// split so that each body stays within Akamai's 50,000 bytes. Fast Purge has no prefix purge:
/// a directory prefix (`/img/`) is purged as the cache tag the origin gives every response below
/// it, any other prefix is refused; `all` is the tag `/`, which every response carries. Image
/// URLs are purged as their path's tag (see ``calls(for:)``).
/// Akamai answers 201 when it accepted the purge.
public struct AkamaiProvider: PurgeProvider {
    /// Which Akamai network a purge applies to.
    public enum Network: String, Sendable, CaseIterable {
        case production, staging
    }

    /// Largest request body Fast Purge accepts (413 beyond).
    public static let maxBodyBytes = 50_000

    public let name: String
    /// The EdgeGrid API host (`akab-xxxx.purge.akamaiapis.net`).
    public let host: String
    /// The base URL requests go to: `https://{host}` unless overridden (tests).
    public let api: String
    public let network: Network
    /// The site's base URL (`https://www.example.com`) for origin-form purge URLs.
    public let baseURL: String?
    /// Calls in flight at once.
    public let concurrency: Int
    let credentials: EdgeGrid
    let bucket: TokenBucket

    /// - Parameters:
    ///   - ratePerSecond, burst: request pacing; Fast Purge's own request bucket holds 100 and
    ///     refills 50 a second per account.
    public init(name: String = "akamai", host: String, credentials: EdgeGrid, network: Network = .production,
                baseURL: String? = nil, api: String? = nil, ratePerSecond: Double = 50, burst: Double = 100,
                concurrency: Int = 4) {
        self.name = name
        self.host = host
        let api = api ?? "https://" + host
        self.api = api.hasSuffix("/") ? String(api.dropLast()) : api
        self.network = network
        self.baseURL = baseURL
        self.concurrency = max(1, concurrency)
        self.credentials = credentials
        bucket = TokenBucket(ratePerSecond: ratePerSecond, burst: burst)
    }

    /// One API call: the path under ``api``, its body and how many objects it carries.
    struct Call: Sendable, Equatable {
        let path: String
        let body: [UInt8]
        let items: Int
        /// `url` or `tag`.
        let type: String
    }

    /// The calls one purge turns into; throws when part of it cannot be done on Akamai (nothing
    /// is sent then).
    func calls(for request: PurgeRequest) throws(DeliveryError) -> [Call] {
        var urls: [String] = []
        var tags = request.tags
        for url in request.urls {
            // edge-rules/akamai puts the image format class into the cache key, and a URL purge
            // cannot match keys changed that way: an image URL is purged as its source's tag,
            // which every size and format made from it carries.
            if NginxProvider.isImage(originForm(url).target) {
                tags.append(SurrogateTags.tag(for: PurgeMatcher.decodedPath(originForm(url).target)))
                continue
            }
            guard let resolved = PurgeURL.resolve(url, base: baseURL) else {
                throw DeliveryError(retryable: false, "akamai: the URL \(url) is relative and no base_url is configured")
            }
            urls.append(resolved.absolute)
        }
        for prefix in request.prefixes {
            guard let tag = directoryTag(prefix) else {
                throw DeliveryError(retryable: false,
                                    "akamai cannot purge the prefix \(prefix); use a directory prefix ending in /")
            }
            tags.append(tag)
        }
        if request.all { tags.append("/") }
        let operation = request.soft ? "invalidate" : "delete"
        var out: [Call] = []
        for (type, objects) in [("url", uniqued(urls)), ("tag", uniqued(tags))] where !objects.isEmpty {
            for batch in try Self.pack(objects) {
                out.append(Call(path: "/ccu/v3/\(operation)/\(type)/\(network.rawValue)",
                                body: jsonArrayBody("objects", batch), items: batch.count, type: type))
            }
        }
        return out
    }

    /// Splits objects into runs whose `{"objects":[…]}` body is at most ``maxBodyBytes``.
    static func pack(_ objects: [String], maxBytes: Int = maxBodyBytes) throws(DeliveryError) -> [[String]] {
        let overhead = jsonArrayBody("objects", []).count
        var out: [[String]] = []
        var current: [String] = []
        var size = overhead
        for object in objects {
            let bytes = JSONText.quote(object).utf8.count
            guard overhead + bytes <= maxBytes else {
                throw DeliveryError(retryable: false, "akamai: \(object.prefix(80))… does not fit in one purge request")
            }
            let added = bytes + (current.isEmpty ? 0 : 1)
            if size + added > maxBytes {
                out.append(current)
                current = []
                size = overhead
            }
            size += bytes + (current.isEmpty ? 0 : 1)
            current.append(object)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// How long to wait after a 429 without Retry-After: five seconds (Akamai's advice), or
    /// longer when the object bucket lacks tokens for the call (`X-Ratelimit-*` headers).
    static func rateLimitDelay(_ headers: HTTPHeaders, objects: Int) -> Double {
        var delay = 5.0
        if let remaining = headers.first(name: "X-Ratelimit-Remaining-Objects").flatMap(Double.init),
           let perSecond = headers.first(name: "X-Ratelimit-Limit-Per-Second-Objects").flatMap(Double.init),
           perSecond > 0, Double(objects) > remaining {
            delay = max(delay, (Double(objects) - remaining) / perSecond)
        }
        return delay
    }

    /// The parts of Fast Purge's answers (success and problem+json) worth reporting.
    struct Answer: Decodable {
        let title: String?
        let detail: String?
        let estimatedSeconds: Int?
        let supportId: String?
    }

    public func deliver(_ request: PurgeRequest, context: DeliveryContext) async throws(DeliveryError) -> String {
        let calls = try calls(for: request)
        let base = originForm(api)
        guard let apiHost = base.host, let schemeEnd = api.range(of: "://") else {
            throw DeliveryError(retryable: false, "akamai: api \(api) is not an absolute URL")
        }
        let scheme = String(api[..<schemeEnd.lowerBound])
        let pathPrefix = base.target == "/" ? "" : base.target
        let (credentials, bucket) = (self.credentials, self.bucket)
        let estimate = LockedBox(0)
        try await forEachConcurrently(calls, width: concurrency) { (call: Call) throws(DeliveryError) in
            await bucket.take()
            let target = pathPrefix + call.path
            // Signed just before sending: Akamai refuses timestamps far from its clock.
            let auth = credentials.authorization(method: "POST", scheme: scheme, host: apiHost, target: target, body: call.body)
            let headers = [("Authorization", auth), ("Content-Type", "application/json"), ("Accept", "application/json")]
            let what = "akamai POST \(call.path) (\(call.items) \(call.type)(s))"
            let response = try await context.send(.POST, api + call.path, headers: headers, body: call.body, what: what)
            let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body.utf8))
            guard response.status == 201 else {
                var text = [answer?.title, answer?.detail].compactMap { $0 }.joined(separator: ": ")
                if let id = answer?.supportId { text += " (supportId \(id))" }
                let delay = response.status == 429
                    ? retryAfter(response.headers) ?? Self.rateLimitDelay(response.headers, objects: call.items)
                    : retryAfter(response.headers)
                throw DeliveryError.from(status: response.status, body: text.isEmpty ? response.body : text, what: what,
                                         retryAfter: delay)
            }
            if let seconds = answer?.estimatedSeconds { estimate.withLockedValue { $0 = max($0, seconds) } }
        }
        let urls = calls.filter { $0.type == "url" }.reduce(0) { $0 + $1.items }
        let tags = calls.filter { $0.type == "tag" }.reduce(0) { $0 + $1.items }
        var parts = ["\(calls.count) call(s)"]
        if urls > 0 { parts.append("\(urls) URL(s)") }
        if tags > 0 { parts.append("\(tags) tag(s)") }
        let seconds = estimate.withLockedValue { $0 }
        return "akamai \(network.rawValue) \(request.soft ? "invalidate" : "delete"): " + parts.joined(separator: ", ")
            + (seconds > 0 ? ", done in ~\(seconds)s" : "")
    }
}
