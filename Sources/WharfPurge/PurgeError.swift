/// A purge API failure with the HTTP status it answers and a short public message.
public struct PurgeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status): \(message)" }

    static func badRequest(_ message: String) -> PurgeError { PurgeError(status: 400, message) }
}
