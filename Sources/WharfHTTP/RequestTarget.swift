/// A validated request-target (RFC 9112 §3.2): decoded path segments that are safe to join onto a
/// document root, plus the raw query.
///
/// Every accepted segment is non-empty valid UTF-8 and contains no `/`, `\`, NUL or other control
/// character, and is neither `.` nor `..`. Segments starting with `.` are refused with 404, except a
/// first segment `.well-known` (RFC 8615).
public struct RequestTarget: Sendable, Equatable {
    /// Percent-decoded path segments, without empty ones.
    public let segments: [String]
    /// Whether the raw path ends with `/` (true for `/`).
    public let hasTrailingSlash: Bool
    /// The raw query without `?`, or nil when there is no `?`.
    public let query: String?

    /// Creates a target from already validated parts.
    public init(segments: [String], hasTrailingSlash: Bool, query: String?) {
        self.segments = segments
        self.hasTrailingSlash = hasTrailingSlash
        self.query = query
    }

    /// The normalised path: `"/" + segments.joined(separator: "/")`, plus `/` when the target had
    /// a trailing slash and is not the root. Segments are decoded, so this is not a URL.
    public var path: String {
        "/" + segments.joined(separator: "/") + (hasTrailingSlash && !segments.isEmpty ? "/" : "")
    }

    /// Parses a request-target (origin-form, or absolute-form "http(s)://host/path").
    ///
    /// The path is percent-decoded exactly once, after splitting on `/`.
    /// - Throws: ``PathError`` with status 400 for malformed or traversal attempts, 404 for hidden files.
    ///   When both apply, 400 wins.
    public static func parse(_ target: String) throws(PathError) -> RequestTarget {
        try ASCII.withBytes(target) { buf in parse(buf) }.get()
    }

    private static func parse(_ buf: UnsafeBufferPointer<UInt8>) -> Result<RequestTarget, PathError> {
        let end = buf.count
        // Raw spaces, controls and non-ASCII bytes never appear in a valid request-target.
        for b in buf where b <= 0x20 || b >= 0x7F {
            return .failure(.invalidCharacter)
        }
        guard let pathStart = pathStart(buf) else { return .failure(.invalidTarget) }
        var fragment = pathStart
        while fragment < end, buf[fragment] != 0x23 { fragment += 1 }  // '#'
        var pathEnd = pathStart
        while pathEnd < fragment, buf[pathEnd] != 0x3F { pathEnd += 1 }  // '?'
        let query: String? = pathEnd < fragment
            ? String(decoding: UnsafeBufferPointer(rebasing: buf[(pathEnd + 1)..<fragment]), as: UTF8.self)
            : nil

        var segments: [String] = []
        var hidden = false
        var i = pathStart
        while i < pathEnd {
            var j = i
            while j < pathEnd, buf[j] != ASCII.slash { j += 1 }
            if j > i {
                switch segment(buf, i, j) {
                case .failure(let error): return .failure(error)
                case .success(let s):
                    if s == "." || s == ".." { return .failure(.traversal) }
                    if s.utf8.first == ASCII.dot, !(segments.isEmpty && s == ".well-known") { hidden = true }
                    segments.append(s)
                }
            }
            i = j + 1
        }
        if hidden { return .failure(.hidden) }
        let trailing = pathEnd == pathStart || buf[pathEnd - 1] == ASCII.slash
        return .success(RequestTarget(segments: segments, hasTrailingSlash: trailing, query: query))
    }

    /// Where the path begins: 0 for origin-form, after the authority for absolute-form.
    private static func pathStart(_ buf: UnsafeBufferPointer<UInt8>) -> Int? {
        if buf.first == ASCII.slash { return 0 }
        let afterScheme: Int
        if ASCII.equalsLowercase(buf, 0, min(7, buf.count), "http://") {
            afterScheme = 7
        } else if ASCII.equalsLowercase(buf, 0, min(8, buf.count), "https://") {
            afterScheme = 8
        } else {
            return nil
        }
        var i = afterScheme
        while i < buf.count, buf[i] != ASCII.slash, buf[i] != 0x3F, buf[i] != 0x23 { i += 1 }
        return i
    }

    /// Decodes one raw segment (no `/` inside) and checks the decoded bytes.
    private static func segment(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Result<String, PathError> {
        let raw = UnsafeBufferPointer(rebasing: buf[start..<end])
        // The raw bytes are printable ASCII here; only '\' needs refusing.
        guard !raw.contains(ASCII.backslash) else { return .failure(.backslash) }
        guard raw.contains(ASCII.percent) else { return .success(String(decoding: raw, as: UTF8.self)) }
        // Decoding only shrinks, so the raw length bounds the output.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { out -> Result<String, PathError> in
            var n = 0
            var i = 0
            while i < raw.count {
                var b = raw[i]
                if b == ASCII.percent {
                    guard i + 2 < raw.count, let hi = ASCII.hexValue(raw[i + 1]), let lo = ASCII.hexValue(raw[i + 2]) else {
                        return .failure(.invalidEscape)
                    }
                    b = hi << 4 | lo
                    i += 3
                    switch b {
                    case 0: return .failure(.nulByte)
                    case ..<0x20, 0x7F: return .failure(.controlCharacter)
                    case ASCII.slash: return .failure(.encodedSlash)
                    case ASCII.backslash: return .failure(.backslash)
                    default: break
                    }
                } else {
                    i += 1
                }
                out[n] = b
                n += 1
            }
            let decoded = UnsafeBufferPointer(rebasing: out[0..<n])
            guard isValidUTF8(decoded) else { return .failure(.invalidUTF8) }
            return .success(String(decoding: decoded, as: UTF8.self))
        }
    }

    /// Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            k < n && bytes[k] >= lo && bytes[k] <= hi
        }
        while i < n {
            let b = bytes[i]
            switch b {
            case 0x00...0x7F:
                i += 1
            case 0xC2...0xDF:
                guard cont(i + 1) else { return false }
                i += 2
            case 0xE0:
                guard cont(i + 1, 0xA0), cont(i + 2) else { return false }
                i += 3
            case 0xE1...0xEC, 0xEE...0xEF:
                guard cont(i + 1), cont(i + 2) else { return false }
                i += 3
            case 0xED:
                guard cont(i + 1, 0x80, 0x9F), cont(i + 2) else { return false }
                i += 3
            case 0xF0:
                guard cont(i + 1, 0x90), cont(i + 2), cont(i + 3) else { return false }
                i += 4
            case 0xF1...0xF3:
                guard cont(i + 1), cont(i + 2), cont(i + 3) else { return false }
                i += 4
            case 0xF4:
                guard cont(i + 1, 0x80, 0x8F), cont(i + 2), cont(i + 3) else { return false }
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
