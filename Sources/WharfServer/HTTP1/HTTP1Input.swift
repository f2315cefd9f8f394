import NIOHTTP1

/// What reaches ``HTTP1Handler``: a whole bodiless request from the fast decoder, as one pipeline
/// message with its fields already collected, or a part from NIO's decoder (every other request).
enum HTTP1Input {
    /// A complete `GET`/`HEAD` request without a body: the same as `.head` then `.end`.
    case request(HTTPRequestHead, RequestFields)
    case part(HTTPServerRequestPart)
}
