import Foundation

/// A purge URL as a CDN API wants it: absolute, with raw non-ASCII bytes and spaces
/// percent-encoded (CDNs key objects by the encoded request-target and refuse non-ASCII).
struct PurgeURL: Sendable, Equatable {
    /// `http` or `https`, lower case.
    let scheme: String
    /// `host[:port]`.
    let host: String
    /// `/path?query`.
    let target: String

    /// `scheme://host/path?query`.
    var absolute: String { "\(scheme)://\(host)\(target)" }
    /// `host/path?query`: the URL without its scheme (Fastly's single-URL purge, Cloudflare prefixes).
    var withoutScheme: String { host + target }

    /// `url` made absolute: an absolute URL keeps its own scheme and host, an origin-form target
    /// gets `base`'s (`https://www.example.com`). Nil when `url` is relative and there is no base.
    static func resolve(_ url: String, base: String?) -> PurgeURL? {
        let (host, target) = originForm(url)
        let encoded = percentEncodeNonASCII(target)
        if let host, let scheme = scheme(of: url) {
            return PurgeURL(scheme: scheme, host: host, target: encoded)
        }
        guard let base, let baseHost = originForm(base).host, let baseScheme = scheme(of: base) else { return nil }
        return PurgeURL(scheme: baseScheme, host: baseHost, target: encoded)
    }

    private static func scheme(of url: String) -> String? {
        guard let end = url.range(of: "://") else { return nil }
        return url[..<end.lowerBound].lowercased()
    }
}
