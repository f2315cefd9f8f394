/// The conditional request header fields of one request (RFC 9110 §13.1), as raw field values.
///
/// A field whose value is empty or only whitespace is treated as absent (as Go's `net/http` does),
/// so an intermediary that forwards an empty header does not cause a 412.
public struct Preconditions: Sendable, Equatable {
    /// The If-Match field value.
    public var ifMatch: String?
    /// The If-None-Match field value.
    public var ifNoneMatch: String?
    /// The If-Modified-Since field value.
    public var ifModifiedSince: String?
    /// The If-Unmodified-Since field value.
    public var ifUnmodifiedSince: String?
    /// The If-Range field value.
    public var ifRange: String?

    /// Creates a set of preconditions; pass nil for absent fields.
    public init(
        ifMatch: String? = nil, ifNoneMatch: String? = nil, ifModifiedSince: String? = nil,
        ifUnmodifiedSince: String? = nil, ifRange: String? = nil
    ) {
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
        self.ifRange = ifRange
    }

    /// Whether no conditional field is present at all.
    public var isEmpty: Bool {
        ifMatch == nil && ifNoneMatch == nil && ifModifiedSince == nil && ifUnmodifiedSince == nil && ifRange == nil
    }

    /// RFC 9110 §13.2.2 evaluation for an existing representation.
    /// - Parameters:
    ///   - isGetOrHead: Whether the method is GET or HEAD (If-Modified-Since applies only then,
    ///     and a failed If-None-Match gives 304 only then).
    ///   - hasRange: Whether the request carries a Range header field.
    ///   - etag: The selected representation's entity tag.
    ///   - lastModified: The representation's modification time in seconds since 1970.
    public func evaluate(isGetOrHead: Bool, hasRange: Bool, etag: EntityTag, lastModified: Int64) -> PreconditionResult {
        // Step 1 and 2: If-Match, else If-Unmodified-Since.
        if let im = Self.present(ifMatch) {
            if !Self.ifMatchPasses(im, etag) { return .preconditionFailed }
        } else if let ius = Self.present(ifUnmodifiedSince), let date = HTTPDate.parse(ius), lastModified > date {
            return .preconditionFailed
        }
        // Step 3 and 4: If-None-Match, else If-Modified-Since (GET/HEAD only).
        if let inm = Self.present(ifNoneMatch) {
            if !Self.ifNoneMatchPasses(inm, etag) { return isGetOrHead ? .notModified : .preconditionFailed }
        } else if isGetOrHead, let ims = Self.present(ifModifiedSince), let date = HTTPDate.parse(ims), lastModified <= date {
            return .notModified
        }
        // Step 5: If-Range decides whether Range is honoured.
        guard hasRange else { return .proceed(applyRange: false) }
        guard let ir = Self.present(ifRange) else { return .proceed(applyRange: true) }
        return .proceed(applyRange: Self.ifRangePasses(ir, etag, lastModified))
    }

    /// The value unless nil, empty or only OWS.
    @inline(__always)
    static func present(_ value: String?) -> String? {
        guard let value else { return nil }
        return value.utf8.contains(where: { !ASCII.isOWS($0) }) ? value : nil
    }

    /// If-Match: `*` is true for an existing representation; otherwise a listed tag must strong-match.
    static func ifMatchPasses(_ fieldValue: String, _ etag: EntityTag) -> Bool {
        ASCII.withBytes(fieldValue) { buf in
            if EntityTagCondition.isStar(buf) { return true }
            if etag.isWeak { return false }
            return EntityTagCondition.forEachTag(buf) { weak, opaque in !weak && etag.opaqueEquals(opaque) }
        }
    }

    /// If-None-Match: false when `*` or any listed tag weak-matches.
    static func ifNoneMatchPasses(_ fieldValue: String, _ etag: EntityTag) -> Bool {
        ASCII.withBytes(fieldValue) { buf in
            if EntityTagCondition.isStar(buf) { return false }
            return !EntityTagCondition.forEachTag(buf) { _, opaque in etag.opaqueEquals(opaque) }
        }
    }

    /// If-Range: a strong entity-tag match, or an HTTP-date exactly equal to Last-Modified.
    /// A weak tag never matches (RFC 9110 §13.1.5); anything unparsable fails, which is safe
    /// because failing only means sending the full representation.
    static func ifRangePasses(_ fieldValue: String, _ etag: EntityTag, _ lastModified: Int64) -> Bool {
        let first = fieldValue.utf8.first(where: { !ASCII.isOWS($0) })
        if first == ASCII.quote || first == 0x57 {  // '"' or 'W'
            let matched = ASCII.withBytes(fieldValue) { buf -> Bool? in
                let (s, e) = ASCII.trim(buf, 0, buf.count)
                guard let tag = EntityTag.scan(buf, s, e), tag.next == e else { return nil }
                return !tag.weak && !etag.isWeak && etag.opaqueEquals(buf[tag.opaqueStart..<tag.opaqueEnd])
            }
            // A value starting with 'W' that is not a tag may still be a date ("Wed, …").
            if let matched { return matched }
        }
        guard let date = HTTPDate.parse(fieldValue) else { return false }
        return date == lastModified
    }
}
