/// ASCII case-insensitive comparison against a lower-case literal, without building a lower-cased
/// copy: header names are compared on every request. `@inlinable`, so that callers in other
/// modules get it specialised for their collection (unspecialised, every byte went through
/// protocol witnesses: ~2% of a small-file hit in a profile).
public enum ASCIICaseless {
    /// Whether `bytes`, with A–Z folded to a–z, equal the lower-case ASCII `literal`.
    @inlinable @inline(__always)
    public static func equals<Bytes: Collection>(_ bytes: Bytes, _ literal: StaticString) -> Bool where Bytes.Element == UInt8 {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        var k = 0
        for b in bytes {
            if ASCII.lower(b) != lit[k] { return false }
            k += 1
        }
        return true
    }
}
