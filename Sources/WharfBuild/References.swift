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
        let utf8 = Array(text.utf8)
        var out: [Reference] = []
        func add(_ r: Range<String.Index>) {
            let lo = text.utf8.distance(from: text.utf8.startIndex, to: r.lowerBound)
            let hi = text.utf8.distance(from: text.utf8.startIndex, to: r.upperBound)
            let s = String(decoding: utf8[lo..<hi], as: UTF8.self)
            if !s.trimmingWhitespace.isEmpty { out.append(Reference(range: lo..<hi, text: s)) }
        }
        switch kind {
        case .html:
            for m in text.matches(of: /(?i)\b(?:src|href|poster|data-src)\s*=\s*(?:"([^"]*)"|'([^']*)')/) {
                if let r = m.output.1?.startIndex, let e = m.output.1?.endIndex { add(r..<e) }
                if let r = m.output.2?.startIndex, let e = m.output.2?.endIndex { add(r..<e) }
            }
            for m in text.matches(of: /(?i)\bsrcset\s*=\s*(?:"([^"]*)"|'([^']*)')/) {
                guard let list = m.output.1 ?? m.output.2 else { continue }
                // Candidates: "url [descriptor]" separated by commas.
                for c in list.matches(of: /(?:^|,)\s*([^\s,][^\s]*)/) { add(c.output.1.startIndex..<c.output.1.endIndex) }
            }
            out += cssReferences(text, add: false)
        case .css:
            out += cssReferences(text, add: true)
        case .js:
            break
        }
        for m in text.matches(of: /(?m)(?:\/\/|\/\*)[#@]\s*sourceMappingURL=([^\s*]+)/) {
            add(m.output.1.startIndex..<m.output.1.endIndex)
        }
        return out.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    /// `url(…)` everywhere, and in stylesheets `@import "…"`.
    private static func cssReferences(_ text: String, add imports: Bool) -> [Reference] {
        var out: [Reference] = []
        let base = text.utf8.startIndex
        func ref(_ s: Substring) {
            let lo = text.utf8.distance(from: base, to: s.startIndex)
            let hi = text.utf8.distance(from: base, to: s.endIndex)
            if !s.trimmingWhitespace.isEmpty { out.append(Reference(range: lo..<hi, text: String(s))) }
        }
        for m in text.matches(of: /(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^'")\s][^)\s]*))\s*\)/) {
            if let s = m.output.1 ?? m.output.2 ?? m.output.3 { ref(s) }
        }
        if imports {
            for m in text.matches(of: /(?i)@import\s+(?:"([^"]*)"|'([^']*)')/) {
                if let s = m.output.1 ?? m.output.2 { ref(s) }
            }
        }
        return out
    }

    /// The part of a reference that names a file, and what follows it (`?query#fragment`);
    /// nil for what is not a local file (a scheme, `//host`, `#fragment`, `data:`, a template).
    static func split(_ ref: String) -> (path: String, suffix: String)? {
        let r = ref.trimmingWhitespace
        if r.isEmpty || r.hasPrefix("#") || r.hasPrefix("//") || r.contains("{{") || r.contains("${") { return nil }
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
