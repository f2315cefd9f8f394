/// The ranges to serve for a Range request (RFC 9110 §14.2), after validation and coalescing.
public enum RangeSelection: Equatable, Sendable {
    /// No Range, or one to ignore: serve 200 with the full representation.
    case none
    /// One range: 206 with Content-Range.
    case single(ByteRange)
    /// Several disjoint ranges, ascending, with overlapping or adjacent ones coalesced; count >= 2.
    case multiple([ByteRange])
    /// 416, with `Content-Range: bytes */length`.
    case unsatisfiable
    /// 416 too, for an abusive request; the string is a short reason.
    case rejected(String)

    /// Parses a Range field value for a representation of `length` bytes.
    ///
    /// Syntax errors, other units and empty representations give ``none`` (a server may ignore Range).
    /// - Parameters:
    ///   - fieldValue: The Range field value, e.g. `bytes=0-99,200-`.
    ///   - length: The representation's length in bytes (of the encoded bytes when a coding applies).
    ///   - maxRanges: The most range specs accepted; more give ``rejected(_:)``. Zero or less
    ///     disables ranges altogether (``none``), like nginx's `max_ranges 0`.
    public static func select(_ fieldValue: String, length: Int, maxRanges: Int) -> RangeSelection {
        guard length > 0, maxRanges > 0 else { return .none }
        return ASCII.withBytes(fieldValue) { buf in select(buf, length: length, maxRanges: maxRanges) }
    }

    private static func select(_ buf: UnsafeBufferPointer<UInt8>, length: Int, maxRanges: Int) -> RangeSelection {
        let (start, end) = ASCII.trim(buf, 0, buf.count)
        // "bytes=" with a case-insensitive unit and no whitespace around "=" (RFC 9110 §14.2).
        guard end - start >= 6, ASCII.equalsLowercase(buf, start, start + 5, "bytes"), buf[start + 5] == ASCII.equals else {
            return .none
        }
        // The first satisfiable range is kept apart so the common single-range case does not allocate.
        var first: ByteRange?
        var more: [ByteRange] = []
        var specs = 0
        var total = 0
        var i = start + 6
        while i < end {
            var j = i
            while j < end, buf[j] != ASCII.comma { j += 1 }
            let (s, e) = ASCII.trim(buf, i, j)
            i = j + 1
            if s == e { continue }  // empty list element (RFC 9110 §5.6.1)
            specs += 1
            if specs > maxRanges { return .rejected("too many ranges") }
            guard let spec = parseSpec(buf, s, e) else { return .none }
            guard let range = resolve(spec, length: length) else { continue }
            let (sum, overflow) = total.addingReportingOverflow(range.length)
            // Overlap abuse: serve the whole representation instead, like nginx and Go.
            if overflow || sum > length { return .none }
            total = sum
            if first == nil { first = range } else { more.append(range) }
        }
        guard specs > 0 else { return .none }
        guard let first else { return .unsatisfiable }
        if more.isEmpty { return .single(first) }
        more.append(first)
        more.sort { $0.offset < $1.offset }
        var merged: [ByteRange] = []
        merged.reserveCapacity(more.count)
        var current = more[0]
        for r in more.dropFirst() {
            if r.offset <= current.lastByte + 1 {
                let last = max(current.lastByte, r.lastByte)
                current = ByteRange(offset: current.offset, length: last - current.offset + 1)
            } else {
                merged.append(current)
                current = r
            }
        }
        merged.append(current)
        return merged.count == 1 ? .single(merged[0]) : .multiple(merged)
    }

    /// A syntactically valid range spec; `first == nil` is a suffix range.
    private struct Spec {
        var first: Int?
        var last: Int?
    }

    private static func parseSpec(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Spec? {
        var dash = s
        while dash < e, buf[dash] != ASCII.dash { dash += 1 }
        guard dash < e else { return nil }
        if dash == s {
            guard let n = ASCII.parseInt(buf, s + 1, e) else { return nil }
            return Spec(first: nil, last: n)
        }
        guard let a = ASCII.parseInt(buf, s, dash) else { return nil }
        if dash + 1 == e { return Spec(first: a, last: nil) }
        guard let b = ASCII.parseInt(buf, dash + 1, e), b >= a else { return nil }
        return Spec(first: a, last: b)
    }

    /// The satisfiable range for a spec, or nil when it is unsatisfiable.
    private static func resolve(_ spec: Spec, length: Int) -> ByteRange? {
        guard let a = spec.first else {
            let n = spec.last ?? 0
            guard n > 0 else { return nil }
            return n >= length ? ByteRange(offset: 0, length: length) : ByteRange(offset: length - n, length: n)
        }
        guard a < length else { return nil }
        let last = min(spec.last ?? (length - 1), length - 1)
        return ByteRange(offset: a, length: last - a + 1)
    }
}
