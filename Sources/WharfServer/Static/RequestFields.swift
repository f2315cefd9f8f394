import NIOCore
import NIOHTTP1
import WharfHTTP

/// The request header fields the connection handlers and the static responder read, collected in
/// one pass over the headers when the head arrives (looking each up by name would walk them once
/// per field and allocate an array each time). Repeated fields are joined with ", " as one list
/// (RFC 9110 §5.3).
struct RequestFields: Equatable {
    var accept: String?
    var acceptEncoding: String?
    var range: String?
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: String?
    var ifUnmodifiedSince: String?
    var ifRange: String?
    /// Host fields seen: HTTP/1.1 requires exactly one (RFC 9112 §3.2).
    var hostCount = 0
    /// A body follows the head (Content-Length other than 0, or Transfer-Encoding).
    var hasBody = false
    var hasUpgrade = false
    /// A `Connection` list naming `upgrade`.
    var connectionUpgrade = false
    /// The client's address (set by the connection handler, not from a header): the key of the
    /// per-client transform limit.
    var client: SocketAddress?

    /// `Upgrade` with `Connection: upgrade`: a protocol switch, which Wharf does not do.
    var isUpgrade: Bool { hasUpgrade && connectionUpgrade }

    init() {}

    init(_ headers: HTTPHeaders) {
        for (name, value) in headers { take(name: name, value: value) }
    }

    /// Records one header field (the decoders call this as they parse, so that the fields are
    /// collected without a second pass).
    @inline(__always)
    mutating func take(name: String, value: String) {
        let n = name.utf8
        switch n.count {
        case 4 where ASCIICaseless.equals(n, "host"): hostCount += 1
        case 5 where ASCIICaseless.equals(n, "range"): Self.add(&range, value)
        case 6 where ASCIICaseless.equals(n, "accept"): Self.add(&accept, value)
        case 7 where ASCIICaseless.equals(n, "upgrade"): hasUpgrade = true
        case 8 where ASCIICaseless.equals(n, "if-match"): Self.add(&ifMatch, value)
        case 8 where ASCIICaseless.equals(n, "if-range"): Self.add(&ifRange, value)
        case 10 where ASCIICaseless.equals(n, "connection"):
            if value.split(separator: ",").contains(where: { ASCIICaseless.equals(Self.trimmed($0).utf8, "upgrade") }) {
                connectionUpgrade = true
            }
        case 13 where ASCIICaseless.equals(n, "if-none-match"): Self.add(&ifNoneMatch, value)
        case 14 where ASCIICaseless.equals(n, "content-length"): if value != "0" { hasBody = true }
        case 15 where ASCIICaseless.equals(n, "accept-encoding"): Self.add(&acceptEncoding, value)
        case 17 where ASCIICaseless.equals(n, "if-modified-since"): Self.add(&ifModifiedSince, value)
        case 17 where ASCIICaseless.equals(n, "transfer-encoding"): hasBody = true
        case 19 where ASCIICaseless.equals(n, "if-unmodified-since"): Self.add(&ifUnmodifiedSince, value)
        default: break
        }
    }

    var hasPreconditions: Bool {
        ifMatch != nil || ifNoneMatch != nil || ifModifiedSince != nil || ifUnmodifiedSince != nil || ifRange != nil
    }

    /// A list member without the optional whitespace around it.
    private static func trimmed(_ s: Substring) -> Substring {
        var t = s
        while let c = t.first, c == " " || c == "\t" { t = t.dropFirst() }
        while let c = t.last, c == " " || c == "\t" { t = t.dropLast() }
        return t
    }

    private static func add(_ slot: inout String?, _ value: String) {
        if let old = slot { slot = old + ", " + value } else { slot = value }
    }
}
