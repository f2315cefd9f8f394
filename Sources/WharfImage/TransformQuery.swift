/// The transform parameters of a request's query string, with aliases resolved and values in
/// their normal spelling, before any meaning is given to them.
///
/// A query that names no transform parameter at all (`?v=3`, a cache buster) is not a
/// transform: ``parse(_:)`` returns nil and the file is served as is. Once one parameter is
/// known, every other must be too: an unknown one is a 400 naming it.
public struct TransformQuery: Sendable, Equatable {
    /// Canonical parameter names.
    public enum Name: String, Sendable, CaseIterable, Comparable {
        case dpr, fit, fm, g, h, preset, q, w

        public static func < (a: Name, b: Name) -> Bool { a.rawValue < b.rawValue }
    }

    /// Long and short spellings: imgix-, Cloudflare- and sharp-style URLs all work.
    static let aliases: [String: Name] = [
        "w": .w, "width": .w,
        "h": .h, "height": .h,
        "fit": .fit,
        "g": .g, "gravity": .g,
        "fm": .fm, "format": .fm,
        "q": .q, "quality": .q,
        "dpr": .dpr,
        "preset": .preset,
    ]

    /// Given parameters by canonical name, values as written (percent-decoded).
    public var values: [Name: String]
    /// The `s=` signature, if any.
    public var signature: String?

    public init(values: [Name: String] = [:], signature: String? = nil) {
        self.values = values
        self.signature = signature
    }

    /// Parses `rawQuery` (the part after `?`, still percent-encoded).
    public static func parse(_ rawQuery: String?) throws(ImageError) -> TransformQuery? {
        guard let rawQuery, !rawQuery.isEmpty else { return nil }
        var pairs: [(String?, String?)] = []
        var knownSeen = false
        for member in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let eq = member.firstIndex(of: "=")
            let name = percentDecode(eq.map { member[..<$0] } ?? member)
            let value = percentDecode(eq.map { member[member.index(after: $0)...] } ?? "")
            if let name, aliases[name] != nil || name == "s" { knownSeen = true }
            pairs.append((name, value))
        }
        // Whatever a query without transform parameters holds (even bad escapes) is not ours to judge.
        guard knownSeen else { return nil }
        var query = TransformQuery()
        for (decodedName, decodedValue) in pairs {
            guard let name = decodedName, let value = decodedValue else {
                throw ImageError(status: 400, message: "query: invalid percent-encoding")
            }
            if name == "s" {
                guard query.signature == nil else { throw .badParameter("s", "given twice") }
                query.signature = value
                continue
            }
            guard let canonical = aliases[name] else {
                throw .badParameter(name.isEmpty ? "(empty name)" : String(name.prefix(64)), "unknown parameter")
            }
            guard query.values[canonical] == nil else { throw .badParameter(canonical.rawValue, "given twice") }
            guard !value.isEmpty else { throw .badParameter(canonical.rawValue, "empty value") }
            query.values[canonical] = value
        }
        return query
    }

    /// Decodes `%XX` escapes once; `+` stays a plus. Nil on a bad escape or invalid UTF-8.
    static func percentDecode(_ s: Substring) -> String? {
        guard s.utf8.contains(UInt8(ascii: "%")) else { return String(s) }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let b = it.next() {
            if b != UInt8(ascii: "%") { out.append(b); continue }
            guard let h = it.next().flatMap(hexValue), let l = it.next().flatMap(hexValue) else { return nil }
            out.append(h << 4 | l)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
