/// The caching header field values for one response. A nil field means "not set": in a
/// ``CacheRule`` it falls back to the default for the asset's kind.
public struct CacheDirectives: Equatable, Sendable {
    /// Cache-Control, for browsers and any cache without a more specific field.
    public var cacheControl: String?
    /// RFC 9213 CDN-Cache-Control. It is a Structured Fields dictionary, so it has no `public`;
    /// use `max-age=N`, `stale-while-revalidate=N`, …
    public var cdnCacheControl: String?
    /// Fastly's Surrogate-Control, stripped at the edge.
    public var surrogateControl: String?
    /// nginx's `X-Accel-Expires` in seconds: set by ``CachePolicy`` when `emitAccelExpires` is on,
    /// because nginx reads neither CDN-Cache-Control nor Surrogate-Control.
    public var accelExpires: Int?

    /// Creates a set of directives; nil leaves a field unset.
    public init(cacheControl: String? = nil, cdnCacheControl: String? = nil, surrogateControl: String? = nil) {
        self.cacheControl = cacheControl
        self.cdnCacheControl = cdnCacheControl
        self.surrogateControl = surrogateControl
    }

    /// The lifetime a CDN should give the response: `max-age` (or `s-maxage`) of CDN-Cache-Control,
    /// else of Surrogate-Control, else `s-maxage` then `max-age` of Cache-Control (unless it says
    /// `private` or `no-store`). nil when none says.
    public var sharedMaxAge: Int? {
        if let cdn = cdnCacheControl, let v = Self.seconds(cdn, "s-maxage") ?? Self.seconds(cdn, "max-age") { return v }
        if let sc = surrogateControl, let v = Self.seconds(sc, "max-age") { return v }
        guard let cc = cacheControl, !Self.has(cc, "private"), !Self.has(cc, "no-store") else {
            return nil
        }
        return Self.seconds(cc, "s-maxage") ?? Self.seconds(cc, "max-age")
    }

    /// The integer value of `name=N` in a comma-separated directive list.
    static func seconds(_ list: String, _ name: String) -> Int? {
        for part in list.split(separator: ",") {
            let item = part.trimmingSpaces()
            guard let eq = item.firstIndex(of: "=") else { continue }
            guard item[..<eq].trimmingSpaces().lowercased() == name else { continue }
            var value = item[item.index(after: eq)...].trimmingSpaces()
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return Int(value).flatMap { $0 >= 0 ? $0 : nil }
        }
        return nil
    }

    /// Whether the list has the directive `name`, with or without an argument (`private="x"`).
    static func has(_ list: String, _ name: String) -> Bool {
        list.split(separator: ",").contains {
            let item = $0.trimmingSpaces().lowercased()
            return item == name || item.hasPrefix(name + "=")
        }
    }

    /// These directives with every nil field taken from `base`.
    public func overlaying(_ base: CacheDirectives) -> CacheDirectives {
        CacheDirectives(
            cacheControl: cacheControl ?? base.cacheControl,
            cdnCacheControl: cdnCacheControl ?? base.cdnCacheControl,
            surrogateControl: surrogateControl ?? base.surrogateControl
        )
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
