/// A parsed `Accept` field (RFC 9110 §12.5.1), enough to ask "does the client take this type?".
///
/// Only explicit listings count for image formats: browsers send `image/*` and `*/*` whether or
/// not they decode AVIF or WebP, so ``explicitlyAccepts(_:)`` ignores wildcards (as imgproxy,
/// Next.js and Cloudflare do), while an explicit `q=0` always excludes.
public struct AcceptMedia: Sendable, Equatable {
    /// Listed `type/subtype` (lower-cased) with their quality in thousandths.
    public private(set) var qualities: [String: Int] = [:]

    /// Parses a field value; malformed members are skipped, an invalid `q` drops its member.
    public static func parse(_ fieldValue: String?) -> AcceptMedia {
        var result = AcceptMedia()
        guard let fieldValue else { return result }
        for member in fieldValue.split(separator: ",") {
            let params = member.split(separator: ";")
            guard let rangeText = params.first else { continue }
            let range = Self.trim(rangeText).lowercased()
            guard range.split(separator: "/").count == 2 else { continue }
            var q = 1000
            var valid = true
            for p in params.dropFirst() {
                let kv = p.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, Self.trim(kv[0]).lowercased() == "q" else { continue }
                guard let v = Self.qvalue(Self.trim(kv[1])) else { valid = false; break }
                q = v
            }
            // The first listing of a type wins, as for Accept-Encoding.
            if valid, result.qualities[range] == nil { result.qualities[range] = q }
        }
        return result
    }

    /// Whether `mediaType` (e.g. `image/avif`) is listed by name with a non-zero quality.
    public func explicitlyAccepts(_ mediaType: String) -> Bool {
        (qualities[mediaType] ?? 0) > 0
    }

    private static func trim(_ s: Substring) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// `0`, `1`, `0.x`…`0.xxx`, `1.0`…`1.000` in thousandths.
    static func qvalue(_ s: String) -> Int? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0] == "0" || parts[0] == "1" else { return nil }
        var frac = parts.count == 2 ? String(parts[1]) : ""
        guard frac.count <= 3, frac.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if parts.count == 2 && frac.isEmpty { return nil }
        while frac.count < 3 { frac += "0" }
        let value = (parts[0] == "1" ? 1000 : 0) + Int(frac)!
        return value <= 1000 ? value : nil
    }
}
