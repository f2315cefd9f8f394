/// Asset references inside HTML, CSS and JavaScript text, found as byte ranges so they can be
/// rewritten in place: HTML `src`, `href`, `poster`, `srcset` and `url()` in `style`; CSS `url()`
/// and `@import`; `sourceMappingURL` comments.
enum References {
    enum Kind { case html, css, js }

    /// A reference: where its text is in the file, and the text.
    struct Reference: Equatable {
        let range: Range<Int>
        let text: String
    }

    static func kind(of path: String) -> Kind? {
        let lower = path.lowercased()
        if lower.hasSuffix(".html") || lower.hasSuffix(".htm") { return .html }
        if lower.hasSuffix(".css") { return .css }
        if lower.hasSuffix(".js") || lower.hasSuffix(".mjs") { return .js }
        return nil
    }

    static func find(in text: String, kind: Kind) -> [Reference] {
        find(in: Array(text.utf8), kind: kind)
    }

    /// A byte scanner, not regular expressions: a build reads every stylesheet and script of
    /// the site, and Swift's Regex runs at a few MB/s.
    static func find(in bytes: [UInt8], kind: Kind) -> [Reference] {
        var broken: [Int] = []
        return find(in: bytes, kind: kind, broken: &broken)
    }

    /// Also collects in `broken` the offsets of a `url(` or `@import` whose closing quote or
    /// parenthesis never comes (a broken stylesheet), which are left as they are.
    static func find(in bytes: [UInt8], kind: Kind, broken: inout [Int]) -> [Reference] {
        var out: [Reference] = []
        func add(_ lo: Int, _ hi: Int) {
            var lo = lo, hi = hi
            while lo < hi, isSpace(bytes[lo]) { lo += 1 }
            while hi > lo, isSpace(bytes[hi - 1]) { hi -= 1 }
            if lo < hi { out.append(Reference(range: lo..<hi, text: String(decoding: bytes[lo..<hi], as: UTF8.self))) }
        }
        let n = bytes.count
        let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
        var i = 0
        while i < n {
            let b = bytes[i]
            // url( … )
            if b | 0x20 == UInt8(ascii: "u"), kind != .js, matches(bytes, i, "url(") {
                var j = i + 4
                while j < n, isSpace(bytes[j]) { j += 1 }
                if j < n, bytes[j] == quote || bytes[j] == apostrophe {
                    if let e = index(of: bytes[j], in: bytes, from: j + 1) { add(j + 1, e); i = e + 1; continue }
                    broken.append(i)
                } else if let e = index(of: UInt8(ascii: ")"), in: bytes, from: j) {
                    add(j, e); i = e + 1; continue
                } else {
                    broken.append(i)
                }
            }
            // @import "…"
            if b == UInt8(ascii: "@"), kind == .css, matches(bytes, i, "@import") {
                var j = i + 7
                while j < n, isSpace(bytes[j]) { j += 1 }
                if j < n, bytes[j] == quote || bytes[j] == apostrophe {
                    if let e = index(of: bytes[j], in: bytes, from: j + 1) { add(j + 1, e); i = e + 1; continue }
                    broken.append(i)
                }
            }
            // name="…" for the HTML attributes that hold URLs
            if b == UInt8(ascii: "="), kind == .html, let name = attributeName(bytes, before: i) {
                var j = i + 1
                while j < n, isSpace(bytes[j]) { j += 1 }
                if j < n, bytes[j] == quote || bytes[j] == apostrophe, let e = index(of: bytes[j], in: bytes, from: j + 1) {
                    if name == "srcset" {
                        // Candidates "url [descriptor]", comma-separated.
                        var k = j + 1
                        while k < e {
                            while k < e, isSpace(bytes[k]) || bytes[k] == UInt8(ascii: ",") { k += 1 }
                            let start = k
                            while k < e, !isSpace(bytes[k]), !(bytes[k] == UInt8(ascii: ",") && (k + 1 == e || isSpace(bytes[k + 1]))) { k += 1 }
                            if k > start { add(start, k) }
                            while k < e, bytes[k] != UInt8(ascii: ",") { k += 1 }
                        }
                    } else {
                        add(j + 1, e)
                    }
                    i = e + 1
                    continue
                }
            }
            // //# sourceMappingURL=… and /*# sourceMappingURL=… */
            if b == UInt8(ascii: "s"), i >= 3, bytes[i - 1] == UInt8(ascii: " ") || bytes[i - 1] == UInt8(ascii: "#") || bytes[i - 1] == UInt8(ascii: "@"),
               matches(bytes, i, "sourceMappingURL=") {
                var j = i + 17
                let start = j
                while j < n, !isSpace(bytes[j]), bytes[j] != UInt8(ascii: "*") { j += 1 }
                add(start, j)
                i = j
                continue
            }
            i += 1
        }
        return out
    }

    /// The 1-based line of byte `offset`.
    static func line(of offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes[..<min(offset, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    static let urlAttributes: Set<String> = ["src", "href", "poster", "data-src", "srcset"]

    /// The attribute name right before `=` at `at` (spaces allowed), lower-cased, when it is one
    /// that holds URLs and starts after whitespace.
    private static func attributeName(_ bytes: [UInt8], before at: Int) -> String? {
        var e = at
        while e > 0, isSpace(bytes[e - 1]) { e -= 1 }
        var s = e
        while s > 0, (bytes[s - 1] | 0x20 >= UInt8(ascii: "a") && bytes[s - 1] | 0x20 <= UInt8(ascii: "z")) || bytes[s - 1] == UInt8(ascii: "-") { s -= 1 }
        guard e - s >= 3, e - s <= 8, s > 0, isSpace(bytes[s - 1]) else { return nil }
        let name = String(decoding: bytes[s..<e].map { $0 | 0x20 }, as: UTF8.self)
        return urlAttributes.contains(name) ? name : nil
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }

    /// The next `byte` from `from`; a quoted URL does not span lines.
    private static func index(of byte: UInt8, in bytes: [UInt8], from: Int) -> Int? {
        var k = from
        while k < bytes.count {
            if bytes[k] == byte { return k }
            if bytes[k] == 0x0A, byte != UInt8(ascii: ")") { return nil }
            k += 1
        }
        return nil
    }

    /// Whether `literal` (ASCII; matched case-insensitively) starts at `at`.
    private static func matches(_ bytes: [UInt8], _ at: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard at + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { lit in
            for k in 0..<count where bytes[at + k] | 0x20 != lit[k] | 0x20 { return false }
            return true
        }
    }

    /// The part of a reference that names a file, and what follows it (`?query#fragment`);
    /// nil for what is not a local file (a scheme, `//host`, `#fragment`, `data:`, a template).
    static func split(_ ref: String) -> (path: String, suffix: String)? {
        let r = ref.trimmingWhitespace
        if r.isEmpty || r.hasBytePrefix("#") || r.hasBytePrefix("//") || r.contains("{{") || r.contains("${") { return nil }
        if let colon = r.firstIndex(of: ":"), !r[..<colon].contains("/"), !r[..<colon].contains("?") { return nil }
        let cut = r.firstIndex { $0 == "?" || $0 == "#" } ?? r.endIndex
        let path = String(r[..<cut])
        return path.isEmpty ? nil : (path, String(r[cut...]))
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
