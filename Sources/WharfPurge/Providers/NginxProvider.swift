import Foundation
import NIOHTTP1

/// nginx edges running `edge-rules/nginx/` (proxy_cache + ngx_cache_purge). nginx purges one
/// cache key per request and knows no tags or prefixes, so tags, prefixes and `all` are expanded
/// into the URLs the origin has served under them (its `served` record), and each URL is purged
/// under every key the edge may have stored it with: each normalised `Accept-Encoding`
/// (br, gzip, identity) and, for image paths, each `Accept` class (avif, webp, other).
/// Soft purges are hard here: the module has no soft mode.
public struct NginxProvider: PurgeProvider {
    public let name: String
    /// Base URLs of the nginx edges (`http://10.0.0.6:80`).
    public let endpoints: [String]
    public let secret: String
    /// The `Host` the site is cached under; nil: the host of an absolute purge URL, else the endpoint's.
    public let host: String?
    public let concurrency: Int
    /// The purge location of `edge-rules/nginx/site.conf.example`.
    public let purgePath: String

    public var needsServedURLs: Bool { true }

    static let encodings = ["br", "gzip", "identity"]
    static let imageClasses = ["avif", "webp", "other"]
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "gif", "webp", "avif"]

    public init(name: String, endpoints: [String], secret: String, host: String? = nil, concurrency: Int = 8,
                purgePath: String = "/.wharf-purge") {
        self.name = name
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.secret = secret
        self.host = host
        self.concurrency = concurrency
        self.purgePath = purgePath
    }

    /// Whether the edge keys `target` by `Accept` class too (the same rule as the nginx config).
    static func isImage(_ target: String) -> Bool {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return false }
        return imageExtensions.contains(path[path.index(after: dot)...].lowercased())
    }

    /// The purge-location targets for one URL.
    func purgeTargets(for target: String) -> [String] {
        let classes = Self.isImage(target) ? Self.imageClasses : ["-"]
        return Self.encodings.flatMap { ae in classes.map { "\(purgePath)/\(ae)/\($0)\(target)" } }
    }

    public func deliver(_ request: PurgeRequest, context: DeliveryContext) async throws(DeliveryError) -> String {
        var targets: [(host: String?, target: String)] = request.urls.map {
            let (h, t) = originForm($0)
            return (host ?? h, percentEncodeNonASCII(t))
        }
        if !request.tags.isEmpty || !request.prefixes.isEmpty || request.all {
            let expanded: [String]
            do {
                expanded = try await context.expand(request.tags, request.prefixes, request.all)
            } catch {
                throw DeliveryError(retryable: true, "reading served URLs: \(error)")
            }
            targets += expanded.map { (host, $0) }
        }
        let calls = targets.flatMap { t in purgeTargets(for: t.target).map { (t.host, $0) } }
        let secret = self.secret
        let purged = PurgedCounter()
        for endpoint in endpoints {
            let endpointHost = originForm(endpoint).host
            try await forEachConcurrently(calls, width: concurrency) { (call: (String?, String)) throws(DeliveryError) in
                var headers = [("X-Wharf-Purge-Secret", secret)]
                if let host = call.0 ?? endpointHost { headers.append(("Host", host)) }
                let what = "PURGE \(call.1) on \(endpoint)"
                let response = try await context.send(HTTPMethod(rawValue: "PURGE"), endpoint + call.1, headers: headers, what: what)
                switch response.status {
                case 200: purged.add("purged 1")
                case 404, 412: break // not in the cache under this key (2.3 answers 404, the maintained fork 412)
                default: throw DeliveryError.from(status: response.status, body: response.body, what: what)
                }
            }
        }
        return "\(targets.count) URL(s) as \(calls.count) key(s) on \(endpoints.count) nginx server(s), \(purged.total) cached entr(ies) removed"
    }
}
