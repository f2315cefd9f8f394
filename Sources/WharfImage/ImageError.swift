/// An image-pipeline failure that knows the HTTP status it maps to and a short public message.
/// `detail` holds libvips' own message for logs; it is never sent to clients.
public struct ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The HTTP status: 400 bad parameter, 403 bad signature, 422 unusable source, 503 timeout, 500 ours.
    public let status: Int
    /// Safe to show to clients.
    public let message: String
    /// libvips' message or other internals, for the log only.
    public let detail: String

    public init(status: Int, message: String, detail: String = "") {
        self.status = status
        self.message = message
        self.detail = detail
    }

    public var description: String { detail.isEmpty ? message : "\(message): \(detail)" }

    static func badParameter(_ name: String, _ problem: String) -> ImageError {
        ImageError(status: 400, message: "\(name): \(problem)")
    }
}
