/// An image-pipeline failure that knows the HTTP status it maps to and a short public message.
/// `detail` holds libvips' own message for logs; it is never sent to clients.
public struct ImageError: Error, CustomStringConvertible, Sendable {
    public let status: Int
    public let message: String
    public let detail: String

    public init(status: Int, message: String, detail: String = "") {
        self.status = status
        self.message = message
        self.detail = detail
    }

    public var description: String { detail.isEmpty ? message : "\(message): \(detail)" }
}
