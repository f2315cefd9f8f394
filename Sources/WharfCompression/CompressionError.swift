/// A failure inside zlib or brotli. These only happen on corrupt input (decoders) or
/// exhausted memory (encoders), so the message is for logs, not for clients.
public struct CompressionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
