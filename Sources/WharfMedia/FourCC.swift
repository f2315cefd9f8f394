/// A four-character code (box type, sample entry type, handler type).
public struct FourCC: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(stringLiteral s: String) {
        let bytes = Array(s.utf8)
        precondition(bytes.count == 4, "a FourCC has four bytes: \(s)")
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    /// Printable form; bytes outside ASCII graphic characters as `\xNN`, so a bad box type can be
    /// named in an error message safely.
    public var description: String {
        bytes.map { (0x20...0x7e).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
    }
}
