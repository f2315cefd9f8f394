/// Chooses Cache-Control, CDN-Cache-Control and Surrogate-Control for each response.
public struct CachePolicy: Sendable, Equatable {
    /// Ordered rules; the first whose pattern matches wins.
    public var rules: [CacheRule]
    /// Defaults per kind; a kind missing here uses ``builtInDefaults``.
    public var defaults: [AssetKind: CacheDirectives]
    /// Adds `X-Accel-Expires` (the CDN lifetime in seconds) to every response, for nginx edges
    /// (`cache.x_accel_expires`).
    public var emitAccelExpires = false

    /// Creates a policy.
    public init(rules: [CacheRule] = [], defaults: [AssetKind: CacheDirectives] = CachePolicy.builtInDefaults) {
        self.rules = rules
        self.defaults = defaults
    }

    /// The built-in defaults: a year and `immutable` for fingerprinted files; HTML always revalidated
    /// by browsers but briefly cached with stale-while-revalidate at the CDN; an hour (a day at the CDN)
    /// for other files; a minute for 404s.
    public static let builtInDefaults: [AssetKind: CacheDirectives] = [
        .fingerprinted: builtIn(.fingerprinted),
        .html: builtIn(.html),
        .other: builtIn(.other),
        .notFound: builtIn(.notFound),
    ]

    static func builtIn(_ kind: AssetKind) -> CacheDirectives {
        switch kind {
        case .fingerprinted:
            CacheDirectives(
                cacheControl: "public, max-age=31536000, immutable",
                cdnCacheControl: "max-age=31536000",
                surrogateControl: "max-age=31536000"
            )
        case .html:
            CacheDirectives(
                cacheControl: "public, max-age=0, must-revalidate",
                cdnCacheControl: "max-age=60, stale-while-revalidate=600, stale-if-error=86400",
                surrogateControl: "max-age=60, stale-while-revalidate=600, stale-if-error=86400"
            )
        case .other:
            CacheDirectives(
                cacheControl: "public, max-age=3600, stale-while-revalidate=86400, stale-if-error=86400",
                cdnCacheControl: "max-age=86400, stale-while-revalidate=86400, stale-if-error=604800",
                surrogateControl: "max-age=86400, stale-while-revalidate=86400, stale-if-error=604800"
            )
        case .notFound:
            CacheDirectives(cacheControl: "public, max-age=60", cdnCacheControl: "max-age=60", surrogateControl: "max-age=60")
        }
    }

    /// The kind of a served file: fingerprinted (by file name) wins over html (by content type).
    /// Never returns ``AssetKind/notFound``.
    public static func kind(forPath urlPath: String, contentType: String) -> AssetKind {
        if fingerprinted(basename(urlPath)) { return .fingerprinted }
        return isHTML(contentType) ? .html : .other
    }

    /// Whether a file name carries a content hash just before its final extension, separated by
    /// `.` or `-`: 8 or more hex digits in one case with at least one digit (webpack, Propshaft), or
    /// Vite's 8 base64url characters with a digit or `_`, an uppercase and a lowercase letter.
    /// A `.map` file counts when the file it maps does (`app.3f2a9c1d.js.map`).
    public static func isFingerprinted(_ fileName: String) -> Bool {
        fingerprinted(basename(fileName))
    }

    /// Whether a file name carries a content hash the way the cache policy recognises one
    /// (`app.3f2a9c1d.js`, `index-BXc3m_Ad.js`).
    public static func isFingerprinted(fileName: String) -> Bool { fingerprinted(Substring(fileName)) }

    private static func fingerprinted(_ name: Substring) -> Bool {
        ASCII.withBytes(name) { buf in
            guard let dot = lastIndex(buf, 0, buf.count, where: { $0 == ASCII.dot }), dot > 0 else { return false }
            if hasHash(buf, stemEnd: dot) { return true }
            // A source map shares its script's fingerprint.
            if ASCII.equalsLowercase(buf, dot + 1, buf.count, "map"),
               let inner = lastIndex(buf, 0, dot, where: { $0 == ASCII.dot }), inner > 0 {
                return hasHash(buf, stemEnd: inner)
            }
            return false
        }
    }

    /// The directives for a served asset: first matching rule's non-nil fields over the kind's defaults.
    public func directives(forPath urlPath: String, contentType: String) -> CacheDirectives {
        resolve(urlPath, base: defaults(for: Self.kind(forPath: urlPath, contentType: contentType)))
    }

    /// The directives for a 404 response; rules apply too, over the notFound default.
    public func notFoundDirectives(forPath urlPath: String) -> CacheDirectives {
        resolve(urlPath, base: defaults(for: .notFound))
    }

    private func defaults(for kind: AssetKind) -> CacheDirectives {
        defaults[kind] ?? Self.builtIn(kind)
    }

    private func resolve(_ urlPath: String, base: CacheDirectives) -> CacheDirectives {
        var d = rules.first(where: { $0.pattern.matches(urlPath) }).map { $0.directives.overlaying(base) } ?? base
        if emitAccelExpires { d.accelExpires = d.sharedMaxAge ?? 0 }
        return d
    }

    // MARK: - Helpers

    private static func basename(_ path: String) -> Substring {
        let s = Substring(path)
        guard let slash = s.utf8.lastIndex(of: ASCII.slash) else { return s }
        return s[s.utf8.index(after: slash)...]
    }

    private static func isHTML(_ contentType: String) -> Bool {
        ASCII.withBytes(contentType) { buf in
            var e = 0
            while e < buf.count, buf[e] != ASCII.semicolon { e += 1 }
            let (s, t) = ASCII.trim(buf, 0, e)
            return ASCII.equalsLowercase(buf, s, t, "text/html")
        }
    }

    private static func lastIndex(
        _ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, where predicate: (UInt8) -> Bool
    ) -> Int? {
        var i = end
        while i > start {
            i -= 1
            if predicate(buf[i]) { return i }
        }
        return nil
    }

    /// Whether `buf[0..<stemEnd]` ends in a separator and a hash, with something before the separator.
    private static func hasHash(_ buf: UnsafeBufferPointer<UInt8>, stemEnd: Int) -> Bool {
        // Hex: the part after the last "." or "-".
        if let sep = lastIndex(buf, 0, stemEnd, where: { $0 == ASCII.dot || $0 == ASCII.dash }), sep > 0,
           stemEnd - sep - 1 >= 8 {
            var digit = false, lower = false, upper = false, other = false
            for b in buf[(sep + 1)..<stemEnd] {
                switch b {
                case 0x30...0x39: digit = true
                case 0x61...0x66: lower = true
                case 0x41...0x46: upper = true
                default: other = true
                }
            }
            if !other, digit, !(lower && upper) { return true }
        }
        // Vite / Rollup: exactly 8 base64url characters, which may themselves contain "-".
        let start = stemEnd - 8
        guard start >= 2, buf[start - 1] == ASCII.dash || buf[start - 1] == ASCII.dot else { return false }
        var digitOrUnderscore = false, lower = false, upper = false
        for b in buf[start..<stemEnd] {
            switch b {
            case 0x30...0x39, 0x5F: digitOrUnderscore = true
            case 0x61...0x7A: lower = true
            case 0x41...0x5A: upper = true
            case ASCII.dash: break
            default: return false
            }
        }
        return digitOrUnderscore && lower && upper
    }
}
