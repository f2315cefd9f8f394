/// A parsed Accept-Encoding field (RFC 9110 §12.5.3), reduced to the codings this server knows.
///
/// Qualities are kept in thousandths, the precision of a qvalue, so comparisons are exact.
public struct AcceptEncoding: Sendable, Equatable {
    /// Explicit qualities, or nil when the coding is not listed.
    private var br: Int16?
    private var gzip: Int16?
    private var identity: Int16?
    /// The quality of `*`, or nil when absent.
    private var star: Int16?

    /// The quality given to identity when it is acceptable only implicitly, so any listed coding wins.
    static let implicitIdentity: Int16 = 1

    private init() {}

    /// Parses an Accept-Encoding field value.
    ///
    /// An absent or empty field means identity only. Unknown codings and malformed members are
    /// ignored; a member with an invalid `q` (`q=abc`, `q=2`, `q=-1`, more than three decimals) is
    /// ignored as a whole. When a coding is listed twice, the first member wins.
    public static func parse(_ fieldValue: String?) -> AcceptEncoding {
        var result = AcceptEncoding()
        guard let fieldValue, fieldValue.utf8.contains(where: { !ASCII.isOWS($0) }) else {
            result.identity = 1000
            return result
        }
        ASCII.withBytes(fieldValue) { buf in
            var i = 0
            let end = buf.count
            while i < end {
                var j = i
                while j < end, buf[j] != ASCII.comma { j += 1 }
                result.apply(buf, i, j)
                i = j + 1
            }
        }
        return result
    }

    /// Parses one list member `coding *( OWS ";" OWS param )` and records it.
    private mutating func apply(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        var semi = start
        while semi < end, buf[semi] != ASCII.semicolon { semi += 1 }
        let (ts, te) = ASCII.trim(buf, start, semi)
        guard ts < te else { return }
        var q: Int16 = 1000
        var i = semi
        while i < end {
            var j = i + 1
            while j < end, buf[j] != ASCII.semicolon { j += 1 }
            let (ps, pe) = ASCII.trim(buf, i + 1, j)
            i = j
            var eq = ps
            while eq < pe, buf[eq] != ASCII.equals { eq += 1 }
            let (ns, ne) = ASCII.trim(buf, ps, eq)
            guard ne - ns == 1, ASCII.lower(buf[ns]) == 0x71 else { continue }  // only "q" matters
            guard eq < pe else { return }
            let (vs, ve) = ASCII.trim(buf, eq + 1, pe)
            guard let value = Self.qvalue(buf, vs, ve) else { return }
            q = value
        }
        if ASCII.equalsLowercase(buf, ts, te, "br") {
            if br == nil { br = q }
        } else if ASCII.equalsLowercase(buf, ts, te, "gzip") || ASCII.equalsLowercase(buf, ts, te, "x-gzip") {
            if gzip == nil { gzip = q }
        } else if ASCII.equalsLowercase(buf, ts, te, "identity") {
            if identity == nil { identity = q }
        } else if te - ts == 1, buf[ts] == 0x2A {
            if star == nil { star = q }
        }
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
    private static func qvalue(_ buf: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int16? {
        guard s < e else { return nil }
        let lead = buf[s]
        guard lead == ASCII.zero || lead == ASCII.zero + 1 else { return nil }
        if e - s == 1 { return lead == ASCII.zero ? 0 : 1000 }
        guard buf[s + 1] == ASCII.dot, e - s - 2 <= 3 else { return nil }
        var value: Int16 = 0
        var scale: Int16 = 100
        for k in (s + 2)..<e {
            guard ASCII.isDigit(buf[k]) else { return nil }
            value += Int16(buf[k] - ASCII.zero) * scale
            scale /= 10
        }
        if lead == ASCII.zero { return value }
        return value == 0 ? 1000 : nil
    }

    /// The quality in thousandths that this field gives `coding`.
    private func millis(_ coding: ContentCoding) -> Int16 {
        let explicit: Int16? = switch coding {
        case .br: br
        case .gzip: gzip
        case .identity: identity
        }
        if let explicit { return explicit }
        if let star { return star }
        // Identity stays acceptable unless excluded (RFC 9110 §12.5.3), but loses to anything listed.
        return coding == .identity ? Self.implicitIdentity : 0
    }

    /// The quality (0…1) this field gives `coding`; 0 means not acceptable.
    public func quality(of coding: ContentCoding) -> Double {
        Double(millis(coding)) / 1000
    }

    /// The best acceptable coding among `available` (which always lists .identity last if the server has the plain file):
    /// highest q > 0; ties broken br > gzip > identity; nil when none is acceptable (→ 406).
    public func select(from available: [ContentCoding]) -> ContentCoding? {
        var best: ContentCoding?
        var bestQ: Int16 = 0
        for coding in available {
            let q = millis(coding)
            guard q > 0 else { continue }
            if q > bestQ || (q == bestQ && coding.preference < (best?.preference ?? Int.max)) {
                best = coding
                bestQ = q
            }
        }
        return best
    }
}
