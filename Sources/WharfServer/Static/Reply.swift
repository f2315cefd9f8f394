import NIOCore
import NIOHTTP1
import WharfAssets

/// A piece of a response body.
enum BodySegment: Sendable {
    case bytes(ByteBuffer)
    /// `length` bytes at `offset` of an open file, sent with sendfile on plaintext HTTP/1.1
    /// and by chunked reads under TLS and HTTP/2.
    case file(OpenFile, offset: Int, length: Int)

    var count: Int {
        switch self {
        case .bytes(let b): b.readableBytes
        case .file(_, _, let length): length
        }
    }
}

/// The kind of route that answered, for metrics and the access log.
enum RouteKind: String, Sendable, CaseIterable {
    case `static`, image, admin, error, hls

    /// Position in `allCases`, for metric arrays (no hashing on the hot path).
    var index: Int {
        switch self {
        case .static: 0
        case .image: 1
        case .admin: 2
        case .error: 3
        case .hls: 4
        }
    }
}

/// A response ready to be written by the HTTP/1.1 or HTTP/2 writer.
///
/// Hot static responses carry `prebuilt`: their header block already serialized (and, for
/// small files, the body right behind it), so the HTTP/1.1 writer only prepends the status
/// line and `Date` and writes one buffer.
struct Reply: Sendable {
    var status: HTTPResponseStatus
    /// Header fields other than `Date` and `Connection`.
    var fields: [(String, String)]
    var body: [BodySegment]
    /// False for HEAD, 304 and other bodiless responses.
    var sendBody: Bool
    /// Ask the writer to close the connection after this response.
    var close: Bool = false
    var route: RouteKind = .static
    /// Serialized header lines ending in an empty line, optionally followed by the body.
    var prebuilt: ByteBuffer?
    var prebuiltIncludesBody = false
    /// Precomputed HTTP/2 header fields (without `:status` and `date`).
    var h2Fields: HTTPHeaders?
    /// For a full 200 to a GET: the variant, so the writer can use its per-second cache of the
    /// whole response (from memory) or of the whole head (a file's).
    var variant: PreparedVariant?

    var bodyLength: Int { body.reduce(0) { $0 + $1.count } }

    init(status: HTTPResponseStatus, fields: [(String, String)], body: [BodySegment], sendBody: Bool) {
        self.status = status
        self.fields = fields
        self.body = body
        self.sendBody = sendBody
    }

    /// A small text response for errors and redirects: the reason is the body.
    static func text(_ status: HTTPResponseStatus, _ message: String, extra: [(String, String)] = [],
                     sendBody: Bool = true, close: Bool = false, route: RouteKind = .error) -> Reply {
        var buffer = ByteBuffer()
        buffer.writeString(message)
        buffer.writeString("\n")
        var fields: [(String, String)] = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", String(buffer.readableBytes)),
        ]
        fields.append(contentsOf: extra)
        var reply = Reply(status: status, fields: fields, body: [.bytes(buffer)], sendBody: sendBody)
        reply.close = close
        reply.route = route
        return reply
    }
}
