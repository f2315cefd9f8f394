/// Why an MP4 cannot be packaged, with the HTTP status a request for it gets.
///
/// The file is the site's, not the client's, but a request for HLS of a broken or unsupported
/// file is answered with a 4xx and a reason (as nginx-vod-module does), never a 500.
public struct MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The file is not a well-formed MP4 (truncated, a box past the end, inconsistent tables): 422.
    public static func malformed(_ message: String) -> MediaError { MediaError(status: 422, message) }
    /// A codec or layout the packager does not handle: 415.
    public static func unsupported(_ message: String) -> MediaError { MediaError(status: 415, message) }
    /// Over a configured limit (metadata bytes, samples, tracks): 422.
    public static func limit(_ message: String) -> MediaError { MediaError(status: 422, message) }
    /// Reading the file failed (it vanished or the disk failed): 503, worth a retry.
    public static func io(_ message: String) -> MediaError { MediaError(status: 503, message) }

    public var description: String { "\(status) \(message)" }
}
