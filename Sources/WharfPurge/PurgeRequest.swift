import Foundation
import WharfAssets
import WharfHTTP

/// What one purge asks for: exact URLs, surrogate tags, URL-path prefixes or everything, hard or
/// soft (mark stale and revalidate, where the CDN can).
///
/// URLs are origin-form (`/img/a.jpg?w=300`) or absolute (`https://www.example.com/img/a.jpg`);
/// prefixes are URL paths (`/img/`). Tags are stored as the origin emits them: a requested tag
/// outside the shared alphabet (a path with capitals, say) becomes the same `h.<hash>` form
/// (see ``SurrogateTags/tag(for:)``), so purging by a path always matches that path's responses.
public struct PurgeRequest: Codable, Sendable, Equatable {
    public var urls: [String]
    public var tags: [String]
    public var prefixes: [String]
    public var all: Bool
    public var soft: Bool

    public init(urls: [String] = [], tags: [String] = [], prefixes: [String] = [], all: Bool = false, soft: Bool = false) {
        self.urls = urls
        self.tags = tags
        self.prefixes = prefixes
        self.all = all
        self.soft = soft
    }

    /// The number of items, for limits (`all` counts as one).
    public var itemCount: Int { urls.count + tags.count + prefixes.count + (all ? 1 : 0) }

    /// A short human summary for logs and the CLI.
    public var summary: String {
        var parts: [String] = []
        if all { parts.append("all") }
        if !urls.isEmpty { parts.append("\(urls.count) url(s)") }
        if !tags.isEmpty { parts.append("\(tags.count) tag(s)") }
        if !prefixes.isEmpty { parts.append("\(prefixes.count) prefix(es)") }
        return parts.joined(separator: ", ") + (soft ? " (soft)" : "")
    }
}

/// Limits on what one purge request may carry (`purge.*` in `wharf.toml`).
public struct PurgeLimits: Sendable, Equatable {
    /// Largest request body (413 beyond).
    public var maxBodyBytes = 1 << 20
    /// Most URLs + tags + prefixes in one request (400 beyond).
    public var maxItems = 10_000
    /// Longest single URL, tag or prefix (400 beyond).
    public var maxItemBytes = 8 * 1024
    public init() {}
}

extension PurgeRequest {
    static let knownFields: Set<String> = ["urls", "tags", "prefixes", "all", "soft"]

    /// Parses and checks a `POST /purge` JSON body. Every error names the field at fault.
    public static func parse(json body: [UInt8], limits: PurgeLimits = PurgeLimits()) throws(PurgeError) -> PurgeRequest {
        guard body.count <= limits.maxBodyBytes else {
            throw PurgeError(status: 413, "request body over \(limits.maxBodyBytes) bytes")
        }
        let fields: [String: JSONValue]
        do {
            guard case .object(let o) = try JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
                throw PurgeError.badRequest("body must be a JSON object")
            }
            fields = o
        } catch let error as PurgeError {
            throw error
        } catch {
            throw .badRequest("body is not valid JSON")
        }
        if let unknown = fields.keys.sorted().first(where: { !knownFields.contains($0) }) {
            throw .badRequest("unknown field \"\(unknown)\" (known: all, prefixes, soft, tags, urls)")
        }
        var request = PurgeRequest()
        request.urls = try strings(fields["urls"], field: "urls", limits: limits).map { url throws(PurgeError) in
            try checkURL(url)
        }
        request.tags = try strings(fields["tags"], field: "tags", limits: limits).map { tag throws(PurgeError) in
            guard tag.utf8.count <= 1024 else { throw .badRequest("tags: \"\(tag.prefix(40))…\" is over 1024 bytes") }
            return SurrogateTags.tag(for: tag)
        }
        request.prefixes = try strings(fields["prefixes"], field: "prefixes", limits: limits).map { p throws(PurgeError) in
            guard p.hasBytePrefix("/") else { throw .badRequest("prefixes: \"\(p.prefix(80))\" must be a URL path starting with /") }
            guard !p.containsByte(UInt8(ascii: "?")) else { throw .badRequest("prefixes: \"\(p.prefix(80))\" must not have a query") }
            return p
        }
        request.all = try bool(fields["all"], field: "all")
        request.soft = try bool(fields["soft"], field: "soft")
        request.tags = unique(request.tags)
        request.urls = unique(request.urls)
        request.prefixes = unique(request.prefixes)
        guard request.itemCount > 0 else {
            throw .badRequest("nothing to purge: give urls, tags, prefixes or \"all\": true")
        }
        guard request.itemCount <= limits.maxItems else {
            throw .badRequest("too many items: \(request.itemCount) urls, tags and prefixes (limit \(limits.maxItems))")
        }
        return request
    }

    private static func strings(_ value: JSONValue?, field: String, limits: PurgeLimits) throws(PurgeError) -> [String] {
        guard let value, value != .null else { return [] }
        guard case .array(let array) = value else { throw .badRequest("\(field) must be an array of strings") }
        guard array.count <= limits.maxItems else {
            throw .badRequest("\(field): \(array.count) items (limit \(limits.maxItems))")
        }
        var out: [String] = []
        out.reserveCapacity(array.count)
        for (i, element) in array.enumerated() {
            guard case .string(let s) = element else { throw .badRequest("\(field)[\(i)] must be a string") }
            guard !s.isEmpty else { throw .badRequest("\(field)[\(i)] is empty") }
            guard s.utf8.count <= limits.maxItemBytes else {
                throw .badRequest("\(field)[\(i)] is over \(limits.maxItemBytes) bytes")
            }
            guard !s.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) else {
                throw .badRequest("\(field)[\(i)] contains spaces or control characters")
            }
            out.append(s)
        }
        return out
    }

    private static func bool(_ value: JSONValue?, field: String) throws(PurgeError) -> Bool {
        switch value {
        case nil, .null?: return false
        case .bool(let b)?: return b
        default: throw .badRequest("\(field) must be true or false")
        }
    }

    /// An origin-form target (`/path?query`) or an absolute http(s) URL with a path.
    static func checkURL(_ url: String) throws(PurgeError) -> String {
        if url.hasBytePrefix("/") {
            guard !url.hasBytePrefix("//") else { throw .badRequest("urls: \"\(url.prefix(80))\" is not a path or an absolute URL") }
            return url
        }
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), let components = URLComponents(string: url),
              let host = components.host, !host.isEmpty else {
            throw .badRequest("urls: \"\(url.prefix(80))\" is not a path or an absolute http(s) URL")
        }
        return url
    }

    private static func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }
}

/// A JSON value as parsed, so that a boolean, a number and a string are told apart exactly.
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}

/// Durations as the purge API and `wharf purge` take them: `500ms`, `30s`, `2m`, `1h` or plain seconds.
public enum PurgeDuration {
    public static func seconds(_ text: String) -> Double? {
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).flatMap { $0.isFinite ? $0 * scale : nil }
        }
        return Double(text).flatMap { $0.isFinite ? $0 : nil }
    }
}
