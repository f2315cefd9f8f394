import NIOHTTP1

/// The fast decoder's parse of one request head, for the differential fuzz target (`http1-head`),
/// which compares it with what NIO's decoder makes of the same bytes.
@_spi(Fuzzing) public enum FastHeadCheck {
    /// The head the fast path takes from the start of `bytes` and its length in bytes, or nil when
    /// it waits for more or leaves the bytes to NIO's decoder; `fieldsAgree` tells whether the
    /// fields collected while parsing equal those collected from the finished head.
    public static func acceptedHead(_ bytes: [UInt8], maxHeaderBytes: Int = 8192, maxHeaderFieldBytes: Int = 4096,
                                    maxHeaderCount: Int = 32) -> (head: HTTPRequestHead, length: Int, fieldsAgree: Bool)? {
        guard case .request(let head, let fields, let length) = FastRequestDecoder.parse(
            bytes, maxHeaderBytes: maxHeaderBytes, maxHeaderFieldBytes: maxHeaderFieldBytes, maxHeaderCount: maxHeaderCount)
        else { return nil }
        return (head, length, fields == RequestFields(head.headers))
    }
}
