/// A content coding the server can send (RFC 9110 §8.4.1).
public enum ContentCoding: String, Sendable, CaseIterable, Hashable {
    /// Brotli (RFC 7932).
    case br
    /// Gzip (RFC 1952).
    case gzip
    /// No transformation.
    case identity

    /// Appended to the representation's opaque entity tag, so each coding has its own strong
    /// validator (RFC 9110 §8.8.3): `-br`, `-gz`, or nothing.
    public var etagSuffix: String {
        switch self {
        case .br: "-br"
        case .gzip: "-gz"
        case .identity: ""
        }
    }

    /// The suffix of the precompressed sibling file: `.br`, `.gz`, or nothing.
    public var fileSuffix: String {
        switch self {
        case .br: ".br"
        case .gzip: ".gz"
        case .identity: ""
        }
    }

    /// Tie-break rank when qualities are equal: lower is preferred (br, then gzip, then identity).
    var preference: Int {
        switch self {
        case .br: 0
        case .gzip: 1
        case .identity: 2
        }
    }
}
