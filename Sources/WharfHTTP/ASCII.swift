/// Byte-level helpers shared by the header parsers. They work on UTF-8 code units so the
/// per-request parsers never build intermediate `String`s.
@usableFromInline
enum ASCII {
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let comma: UInt8 = 0x2C
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let slash: UInt8 = 0x2F
    static let backslash: UInt8 = 0x5C
    static let dot: UInt8 = 0x2E
    static let dash: UInt8 = 0x2D
    static let percent: UInt8 = 0x25
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39

    /// Optional whitespace as defined by RFC 9110 §5.6.3 (SP / HTAB).
    @inline(__always)
    static func isOWS(_ b: UInt8) -> Bool { b == space || b == tab }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }

    @inlinable @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// Trims leading and trailing OWS from a byte range.
    @inline(__always)
    static func trim(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (Int, Int) {
        var s = start, e = end
        while s < e, isOWS(buf[s]) { s += 1 }
        while e > s, isOWS(buf[e - 1]) { e -= 1 }
        return (s, e)
    }

    /// Case-insensitive comparison of `buf[start..<end]` with a lowercase ASCII literal.
    @inline(__always)
    static func equalsLowercase(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
        ASCIICaseless.equals(UnsafeBufferPointer(rebasing: buf[start..<end]), literal)
    }

    /// Parses a non-empty run of decimal digits as a non-negative Int; nil on empty, non-digit or overflow.
    @inline(__always)
    static func parseInt(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        guard start < end else { return nil }
        var value = 0
        for i in start..<end {
            let b = buf[i]
            guard isDigit(b) else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(b - zero))
            if o1 || o2 { return nil }
            value = a
        }
        return value
    }

    /// Runs `body` over the UTF-8 bytes of `s` without copying native strings.
    @inline(__always)
    static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var s = s
        return s.withUTF8(body)
    }

    /// Runs `body` over the UTF-8 bytes of `s` without copying when the storage is contiguous.
    @inline(__always)
    static func withBytes<R>(_ s: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var s = s
        return s.withUTF8(body)
    }
}
