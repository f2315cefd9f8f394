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
    /// What the `Connection` lists say of persistence.
    var persistence = Persistence.unspecified
    /// The client's address (set by the connection handler, not from a header): the key of the
    /// per-client transform limit.
    var client: SocketAddress?
    /// The first `User-Agent`, kept only when asked (for the access log): browsers send long ones,
    /// and keeping one costs an allocation per request.
    var userAgent: String?
    /// Whether `userAgent` is kept.
    let keepingUserAgent: Bool

    /// `Upgrade` with `Connection: upgrade`: a protocol switch, which Wharf does not do.
    var isUpgrade: Bool { hasUpgrade && connectionUpgrade }

    /// What `Connection` says of persistence. Decided here only for one field of exactly `close`
    /// or `keep-alive`, which every reading agrees on; anything else is left to the decoder that
    /// framed the request (llhttp's flags, which NIO's `HTTPHeaders.isKeepAlive` does not follow
    /// for repeated or odd members). The fast decoder hands such requests to NIO's decoder.
    enum Persistence: Equatable {
        case unspecified, keepAlive, close
        /// Ask the head (`HTTPRequestHead.isKeepAlive`).
        case undecided
    }

    /// Whether the connection stays open after this request: `HTTPRequestHead.isKeepAlive`
    /// without its walk over the headers, for the requests the fields decide.
    func isKeepAlive(_ head: HTTPRequestHead) -> Bool {
        switch persistence {
        case .unspecified: head.version.major == 1 && head.version.minor >= 1
        case .keepAlive: true
        case .close: false
        case .undecided: head.isKeepAlive
        }
    }

    init(keepingUserAgent: Bool = false) {
        self.keepingUserAgent = keepingUserAgent
    }

    init(_ headers: HTTPHeaders, keepingUserAgent: Bool = false) {
        self.keepingUserAgent = keepingUserAgent
        for (name, value) in headers { take(name: name.utf8) { value } }
    }

    /// Records one header field (the fast decoder calls this as it parses, so that the fields are
    /// collected without a second pass). `value` is called only for a field read here, so the
    /// decoder makes Strings of those values alone.
    @inline(__always)
    mutating func take<Name: Collection>(name n: Name, value: () -> String) where Name.Element == UInt8 {
        switch n.count {
        case 4 where ASCIICaseless.equals(n, "host"): hostCount += 1
        case 5 where ASCIICaseless.equals(n, "range"): Self.add(&range, value())
        case 6 where ASCIICaseless.equals(n, "accept"): Self.add(&accept, value())
        case 7 where ASCIICaseless.equals(n, "upgrade"): hasUpgrade = true
        case 8 where ASCIICaseless.equals(n, "if-match"): Self.add(&ifMatch, value())
        case 8 where ASCIICaseless.equals(n, "if-range"): Self.add(&ifRange, value())
        case 10 where ASCIICaseless.equals(n, "connection"): readConnection(value())
        case 10 where ASCIICaseless.equals(n, "user-agent"): if keepingUserAgent && userAgent == nil { userAgent = value() }
        case 13 where ASCIICaseless.equals(n, "if-none-match"): Self.add(&ifNoneMatch, value())
        case 14 where ASCIICaseless.equals(n, "content-length"): if value() != "0" { hasBody = true }
        case 15 where ASCIICaseless.equals(n, "accept-encoding"): Self.add(&acceptEncoding, value())
        case 17 where ASCIICaseless.equals(n, "if-modified-since"): Self.add(&ifModifiedSince, value())
        case 17 where ASCIICaseless.equals(n, "transfer-encoding"): hasBody = true
        case 19 where ASCIICaseless.equals(n, "if-unmodified-since"): Self.add(&ifUnmodifiedSince, value())
        default: break
        }
    }

    var hasPreconditions: Bool {
        ifMatch != nil || ifNoneMatch != nil || ifModifiedSince != nil || ifUnmodifiedSince != nil || ifRange != nil
    }

    /// One `Connection` field: `upgrade` among its members, and persistence (see ``Persistence``).
    private mutating func readConnection(_ value: String) {
        if persistence == .unspecified, ASCIICaseless.equals(value.utf8, "keep-alive") {
            persistence = .keepAlive
            return
        }
        if persistence == .unspecified, ASCIICaseless.equals(value.utf8, "close") {
            persistence = .close
            return
        }
        persistence = .undecided
        if value.split(separator: ",").contains(where: { ASCIICaseless.equals(Self.trimmed($0).utf8, "upgrade") }) {
            connectionUpgrade = true
        }
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
