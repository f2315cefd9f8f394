import NIOHTTP1

/// The request header fields the static responder reads, collected in one pass over the
/// headers (looking each up by name would walk them once per field and allocate an array each
/// time). Repeated fields are joined with ", " as one list (RFC 9110 §5.3).
struct RequestFields {
    var acceptEncoding: String?
    var range: String?
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: String?
    var ifUnmodifiedSince: String?
    var ifRange: String?
    /// Host fields seen: HTTP/1.1 requires exactly one (RFC 9112 §3.2).
    var hostCount = 0

    init(_ headers: HTTPHeaders) {
        for (name, value) in headers {
            switch name.utf8.count {
            case 4 where Self.equals(name, "host"): hostCount += 1
            case 5 where Self.equals(name, "range"): Self.add(&range, value)
            case 8 where Self.equals(name, "if-match"): Self.add(&ifMatch, value)
            case 8 where Self.equals(name, "if-range"): Self.add(&ifRange, value)
            case 13 where Self.equals(name, "if-none-match"): Self.add(&ifNoneMatch, value)
            case 15 where Self.equals(name, "accept-encoding"): Self.add(&acceptEncoding, value)
            case 17 where Self.equals(name, "if-modified-since"): Self.add(&ifModifiedSince, value)
            case 19 where Self.equals(name, "if-unmodified-since"): Self.add(&ifUnmodifiedSince, value)
            default: break
            }
        }
    }

    var hasPreconditions: Bool {
        ifMatch != nil || ifNoneMatch != nil || ifModifiedSince != nil || ifUnmodifiedSince != nil || ifRange != nil
    }

    private static func add(_ slot: inout String?, _ value: String) {
        if let old = slot { slot = old + ", " + value } else { slot = value }
    }

    /// ASCII case-insensitive comparison against a lower-case literal of the same length.
    @inline(__always)
    static func equals(_ name: String, _ lower: StaticString) -> Bool {
        var name = name
        return name.withUTF8 { a in
            let b = UnsafeBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
            guard a.count == b.count else { return false }
            for i in 0..<a.count where a[i] | 0x20 != b[i] { return false }
            return true
        }
    }
}
