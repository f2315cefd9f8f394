/// Prefix, suffix and containment by UTF-8 bytes. `String.hasPrefix("/")` compares Characters:
/// a path whose first segment starts with a combining mark (`/%CC%81x` decodes to "/\u{301}x")
/// has a first Character of "/\u{301}", so `hasPrefix("/")` is false and `contains("?")` misses
/// "?\u{301}". Paths, URLs and header values are byte strings: compare them as bytes.
/// (Found by the request-target fuzz target, issue #7.)
extension StringProtocol {
    /// Whether the UTF-8 bytes start with `prefix`'s.
    @inlinable public func hasBytePrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    /// Whether the UTF-8 bytes end with `suffix`'s.
    @inlinable public func hasByteSuffix(_ suffix: String) -> Bool {
        let n = suffix.utf8.count
        return utf8.count >= n && utf8.suffix(n).elementsEqual(suffix.utf8)
    }

    /// Whether the UTF-8 bytes contain the ASCII byte `byte`.
    @inlinable public func containsByte(_ byte: UInt8) -> Bool { utf8.contains(byte) }
}
