/// An HTTP entity tag (RFC 9110 §8.8.3): an opaque validator, strong or weak.
///
/// Equality and matching compare the opaque tag byte for byte, as RFC 9110 §8.8.3.2 requires,
/// rather than with `String`'s Unicode canonical equivalence.
public struct EntityTag: Hashable, Sendable {
    /// The opaque tag without the surrounding quotes and without the `W/` prefix, e.g. `abc123-br`.
    public let opaqueTag: String
    /// Whether this is a weak validator (`W/"…"`).
    public let isWeak: Bool

    /// Creates an entity tag from its opaque part.
    /// - Parameters:
    ///   - opaqueTag: The tag without quotes; it must not contain `"` or control characters.
    ///   - weak: Whether the tag is weak.
    public init(_ opaqueTag: String, weak: Bool = false) {
        self.opaqueTag = opaqueTag
        self.isWeak = weak
    }

    /// The field value form: `"abc"` or `W/"abc"`.
    public var headerValue: String {
        isWeak ? "W/\"" + opaqueTag + "\"" : "\"" + opaqueTag + "\""
    }

    /// Parses exactly one entity-tag; surrounding whitespace is allowed.
    /// - Returns: nil when the text is not a single well-formed entity-tag.
    public static func parse(_ s: Substring) -> EntityTag? {
        ASCII.withBytes(s) { buf -> EntityTag? in
            let (start, end) = ASCII.trim(buf, 0, buf.count)
            guard let tag = scan(buf, start, end), tag.next == end else { return nil }
            let opaque = String(decoding: UnsafeBufferPointer(rebasing: buf[tag.opaqueStart..<tag.opaqueEnd]), as: UTF8.self)
            return EntityTag(opaque, weak: tag.weak)
        }
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong and the same opaque tag.
    public func strongMatches(_ other: EntityTag) -> Bool {
        !isWeak && !other.isWeak && sameOpaqueTag(other)
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): the same opaque tag, whatever the weakness.
    public func weakMatches(_ other: EntityTag) -> Bool {
        sameOpaqueTag(other)
    }

    /// Same weakness and byte-identical opaque tags.
    public static func == (lhs: EntityTag, rhs: EntityTag) -> Bool {
        lhs.isWeak == rhs.isWeak && lhs.sameOpaqueTag(rhs)
    }

    /// Hashes the weakness and the opaque tag's bytes, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(isWeak)
        for b in opaqueTag.utf8 { hasher.combine(b) }
    }

    @inline(__always)
    func sameOpaqueTag(_ other: EntityTag) -> Bool {
        opaqueTag.utf8.elementsEqual(other.opaqueTag.utf8)
    }

    /// Whether `bytes` (an opaque tag taken from a field value) equals this tag's opaque part.
    @inline(__always)
    func opaqueEquals(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence) -> Bool {
        opaqueTag.utf8.elementsEqual(bytes)
    }

    /// The position of one entity-tag found by ``scan(_:_:_:)``.
    struct Scanned {
        var weak: Bool
        var opaqueStart: Int
        var opaqueEnd: Int
        /// The index just past the closing quote.
        var next: Int
    }

    /// Scans one entity-tag starting exactly at `start` (no leading whitespace skipped).
    /// `etagc` is `%x21 / %x23-7E / obs-text`; `W/` is case-sensitive.
    static func scan(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Scanned? {
        var i = start
        var weak = false
        if i + 1 < end, buf[i] == 0x57, buf[i + 1] == ASCII.slash {  // "W/"
            weak = true
            i += 2
        }
        guard i < end, buf[i] == ASCII.quote else { return nil }
        i += 1
        let opaqueStart = i
        while i < end {
            let b = buf[i]
            if b == ASCII.quote {
                return Scanned(weak: weak, opaqueStart: opaqueStart, opaqueEnd: i, next: i + 1)
            }
            guard b == 0x21 || (b >= 0x23 && b != 0x7F) else { return nil }
            i += 1
        }
        return nil
    }
}
