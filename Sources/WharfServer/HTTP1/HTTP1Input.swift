import NIOHTTP1

/// What reaches ``HTTP1Handler`` through the pipeline: a part from NIO's decoder (every request
/// the fast decoder does not take), or a whole bodiless request from a fast decoder that has no
/// sink (unit tests; the server's decoder calls the handler directly).
enum HTTP1Input {
    /// A complete `GET`/`HEAD` request without a body, its fields collected: `.head` then `.end`.
    case request(HTTPRequestHead, RequestFields)
    case part(HTTPServerRequestPart)
}
