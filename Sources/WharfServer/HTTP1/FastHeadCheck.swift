import NIOHTTP1

/// The fast decoder's parse of one request head, for the differential fuzz target (`http1-head`),
/// which compares it with what NIO's decoder makes of the same bytes.
@_spi(Fuzzing) public enum FastHeadCheck {
    /// The result of parsing the start of `bytes`.
    public enum Result {
        case incomplete
        /// Left to NIO's decoder.
        case unsupported
        /// A head of `length` bytes; `fieldsAgree` tells whether the fields collected while
        /// parsing equal those collected from the finished head.
        case request(HTTPRequestHead, length: Int, fieldsAgree: Bool)
    }

    public static func parse(_ bytes: [UInt8], maxHeaderBytes: Int = 8192, maxHeaderFieldBytes: Int = 4096,
                             maxHeaderCount: Int = 32) -> Result {
        switch FastRequestDecoder.parse(bytes, maxHeaderBytes: maxHeaderBytes, maxHeaderFieldBytes: maxHeaderFieldBytes,
                                        maxHeaderCount: maxHeaderCount) {
        case .incomplete: return .incomplete
        case .unsupported: return .unsupported
        case .request(let head, let fields, let length):
            return .request(head, length: length, fieldsAgree: fields == RequestFields(head.headers))
        }
    }
}
