import NIOHTTP1

/// The fast decoder's parse of one request head, for the differential fuzz target (`http1-head`),
/// which compares it with what NIO's decoder makes of the same bytes.
@_spi(Fuzzing) public enum FastHeadCheck {
    /// The head the fast path takes from the start of `bytes` and its length in bytes, or nil when
    /// it waits for more or leaves the bytes to NIO's decoder; `fieldsAgree` tells whether the
    /// fields collected while parsing equal those collected from the finished head and decide
    /// keep-alive themselves, and whether the server's mode (no header lines kept) takes the same
    /// request with the same fields; `keepAlive` is what the server decides from them.
    public static func acceptedHead(_ bytes: [UInt8], maxHeaderBytes: Int = 8192, maxHeaderFieldBytes: Int = 4096,
                                    maxHeaderCount: Int = 32) -> (head: HTTPRequestHead, length: Int, fieldsAgree: Bool,
                                                                keepAlive: Bool)? {
        var fields = RequestFields()
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "")
        guard case .request(let length) = FastRequestDecoder.parse(
            bytes, maxHeaderBytes: maxHeaderBytes, maxHeaderFieldBytes: maxHeaderFieldBytes, maxHeaderCount: maxHeaderCount,
            into: &head, fields: &fields)
        else { return nil }
        // The server's own mode, without header lines, must take the same request with the same fields.
        var serverFields = RequestFields()
        var bare = HTTPRequestHead(version: .http1_1, method: .GET, uri: "")
        guard case .request(length) = FastRequestDecoder.parse(
            bytes, maxHeaderBytes: maxHeaderBytes, maxHeaderFieldBytes: maxHeaderFieldBytes, maxHeaderCount: maxHeaderCount,
            keepingHeaders: false, into: &bare, fields: &serverFields),
            bare.method == head.method, bare.uri == head.uri, bare.version == head.version, serverFields == fields
        else { return (head, length, false, fields.isKeepAlive(head)) }
        return (head, length, fields == RequestFields(head.headers) && fields.persistence != .undecided, fields.isKeepAlive(head))
    }
}
