/// The field value of If-Match / If-None-Match (RFC 9110 §13.1.1, §13.1.2).
public enum EntityTagCondition: Equatable, Sendable {
    /// `*`: any current representation.
    case any
    /// A comma-separated list of entity-tags; malformed members are skipped.
    case tags([EntityTag])

    /// Parses an If-Match or If-None-Match field value.
    ///
    /// `*` is recognised only as the whole field value; inside a list it is a malformed member.
    public static func parse(_ fieldValue: String) -> EntityTagCondition {
        ASCII.withBytes(fieldValue) { buf -> EntityTagCondition in
            if isStar(buf) { return .any }
            var tags: [EntityTag] = []
            forEachTag(buf) { weak, opaque in
                tags.append(EntityTag(String(decoding: UnsafeBufferPointer(rebasing: opaque), as: UTF8.self), weak: weak))
                return false
            }
            return .tags(tags)
        }
    }

    /// Whether the whole value, ignoring OWS, is `*`.
    static func isStar(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        let (s, e) = ASCII.trim(buf, 0, buf.count)
        return e - s == 1 && buf[s] == 0x2A
    }

    /// Calls `body` for every well-formed entity-tag of a list, without allocating.
    /// Stops early when `body` returns true, and returns whether it did.
    ///
    /// A member is well-formed when it is one entity-tag followed by OWS and then `,` or the end.
    /// Commas inside the quotes belong to the tag (`etagc` allows them).
    @discardableResult
    static func forEachTag(
        _ buf: UnsafeBufferPointer<UInt8>,
        _ body: (_ weak: Bool, _ opaque: UnsafeBufferPointer<UInt8>.SubSequence) -> Bool
    ) -> Bool {
        let end = buf.count
        var i = 0
        while i < end {
            // Skip OWS and empty list elements.
            while i < end, ASCII.isOWS(buf[i]) || buf[i] == ASCII.comma { i += 1 }
            guard i < end else { break }
            if let tag = EntityTag.scan(buf, i, end) {
                var j = tag.next
                while j < end, ASCII.isOWS(buf[j]) { j += 1 }
                if j == end || buf[j] == ASCII.comma {
                    if body(tag.weak, buf[tag.opaqueStart..<tag.opaqueEnd]) { return true }
                    i = j
                    continue
                }
                i = j
            }
            // Malformed member: resynchronise at the next comma.
            while i < end, buf[i] != ASCII.comma { i += 1 }
        }
        return false
    }
}
