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

    /// Which of AVIF and WebP an `Accept` field lists explicitly (bit 0: AVIF, bit 1: WebP),
    /// as ``explicitlyAccepts(_:)`` decides, without building the parse when the field has no
    /// `q=` parameter at all (what browsers send for images): then a listing is a match of the
    /// type as a whole list member, in any case.
    public static func imageSupport(_ fieldValue: String?) -> UInt8 {
        guard let fieldValue else { return 0 }
        let fast = fieldValue.utf8.withContiguousStorageIfAvailable { buf -> UInt8? in
            if Self.find(buf, "q=") { return nil }
            return (Self.findMember(buf, "image/avif") ? 1 : 0) | (Self.findMember(buf, "image/webp") ? 2 : 0)
        }
        if let fast, let bits = fast { return bits }
        let parsed = parse(fieldValue)
        return (parsed.explicitlyAccepts("image/avif") ? 1 : 0) | (parsed.explicitlyAccepts("image/webp") ? 2 : 0)
    }

    private static func find(_ buf: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard buf.count >= n else { return false }
        return (0...(buf.count - n)).contains { i in
            (0..<n).allSatisfy { ASCII.lower(buf[i + $0]) == needle.utf8Start[$0] }
        }
    }

    /// `needle` (lower case) as a whole member: bounded by start, `,`, `;` or whitespace.
    private static func findMember(_ buf: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard buf.count >= n else { return false }
        func boundary(_ b: UInt8) -> Bool { b == ASCII.comma || b == ASCII.semicolon || ASCII.isOWS(b) }
        for i in 0...(buf.count - n) where (0..<n).allSatisfy({ ASCII.lower(buf[i + $0]) == needle.utf8Start[$0] }) {
            let before = i == 0 || boundary(buf[i - 1])
            let after = i + n == buf.count || boundary(buf[i + n])
            if before && after { return true }
        }
        return false
    }
}
