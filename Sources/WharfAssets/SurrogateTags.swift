import Crypto
import WharfHTTP

/// The surrogate (cache) tags of a response, in one scheme every CDN accepts: lower-case
/// characters from Akamai's set `[a-z0-9!#$%'+./^_`|~-]` (no `:` or `,`), at most 128 characters
/// each and 50 per response (CloudFront's cap, below Akamai's 128). A value that does not fit —
/// too long, upper case, spaces, non-ASCII — is replaced by `h.` and 32 hex digits of its SHA-256,
/// never cut short, so the same path always gives the same tag on every replica.
///
/// A response is tagged with its path (`/img/photo.jpg`), each directory prefix (`/img/`, and
/// `/`, which every response carries and so purges everything), the build id (`build.<id>`) and
/// the tags of matching rules. Derived responses (image variants) carry their source's tags, so
/// purging a source purges all its variants.
public struct SurrogateTags: Sendable, Equatable {
    public static let maxLength = 128
    public static let maxCount = 50

    public let tags: [String]

    public init(tags: [String]) {
        self.tags = tags
    }

    /// Whether `tag` fits the shared alphabet and length as it is.
    public static func isValid(_ tag: String) -> Bool {
        !tag.isEmpty && tag.utf8.count <= maxLength && tag.utf8.allSatisfy(isTagByte)
    }

    static func isTagByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "'"),
             UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"), UInt8(ascii: "-"): true
        default: false
        }
    }

    /// `value` itself when valid, else `h.` + the first 128 bits of its SHA-256 in hex.
    public static func tag(for value: String) -> String {
        isValid(value) ? value : "h." + ContentHash.of(Array(value.utf8))
    }

    /// The tags of the response for a decoded URL path.
    public static func forPath(_ urlPath: String, buildID: String? = nil, extra: [String] = []) -> SurrogateTags {
        // "/" always stays (it is the purge-everything tag): its place is kept before anything else.
        var head = [tag(for: urlPath)]
        if let buildID, !buildID.isEmpty { head.append(tag(for: "build." + buildID)) }
        for t in extra where !head.contains(t) && t != "/" { head.append(t) }
        head = Array(head.filter { $0 != "/" }.prefix(maxCount - 1))
        // Directory prefixes, deepest first.
        var directories: [String] = []
        var path = Substring(urlPath)
        while let slash = path.dropLast().lastIndex(of: "/") {
            path = path[...slash]
            let t = tag(for: String(path))
            if path != "/", !head.contains(t), !directories.contains(t) { directories.append(t) }
        }
        return SurrogateTags(tags: head + directories.prefix(maxCount - 1 - head.count) + ["/"])
    }
}

/// The response header fields CDNs read tags from.
public enum TagHeader: String, Sendable, CaseIterable {
    /// Fastly: space-separated.
    case surrogateKey = "surrogate-key"
    /// Cloudflare: comma-separated.
    case cacheTag = "cache-tag"
    /// Akamai: comma-separated, one field only.
    case edgeCacheTag = "edge-cache-tag"
    /// Varnish vmod xkey: space-separated.
    case xkey
    /// RFC 9875: a structured-field list of strings.
    case cacheGroups = "cache-groups"

    public var fieldName: String {
        switch self {
        case .surrogateKey: "Surrogate-Key"
        case .cacheTag: "Cache-Tag"
        case .edgeCacheTag: "Edge-Cache-Tag"
        case .xkey: "xkey"
        case .cacheGroups: "Cache-Groups"
        }
    }

    public func encode(_ tags: SurrogateTags) -> String {
        switch self {
        case .surrogateKey, .xkey: tags.tags.joined(separator: " ")
        case .cacheTag, .edgeCacheTag: tags.tags.joined(separator: ",")
        // The tag alphabet has no `"` or `\`, so no escaping is needed.
        case .cacheGroups: tags.tags.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }
}

/// Which tag headers to send, the build id and per-path rules (`[tags]` in `wharf.toml`).
public struct TagPolicy: Sendable {
    public struct Rule: Sendable {
        public let pattern: GlobPattern
        public let tags: [String]
        public init(pattern: GlobPattern, tags: [String]) {
            self.pattern = pattern
            self.tags = tags
        }
    }

    public var headers: [TagHeader] = []
    public var buildID: String?
    public var rules: [Rule] = []

    public init() {}

    /// The tags of a response about `urlPath`, whether or not a header is configured.
    public func tags(forPath urlPath: String) -> [String] {
        let extra = rules.filter { $0.pattern.matches(urlPath) }.flatMap(\.tags)
        return SurrogateTags.forPath(urlPath, buildID: buildID, extra: extra).tags
    }

    /// The header fields for a response about `urlPath` (none when no header is configured).
    public func fields(forPath urlPath: String) -> [(String, String)] {
        guard !headers.isEmpty else { return [] }
        let extra = rules.filter { $0.pattern.matches(urlPath) }.flatMap(\.tags)
        let tags = SurrogateTags.forPath(urlPath, buildID: buildID, extra: extra)
        return headers.map { ($0.fieldName, $0.encode(tags)) }
    }
}
