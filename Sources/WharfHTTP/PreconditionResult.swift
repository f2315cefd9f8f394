/// The outcome of evaluating conditional request headers against a representation.
public enum PreconditionResult: Equatable, Sendable {
    /// Serve the request. `applyRange` is false when there is no Range or when If-Range fails,
    /// in which case the full representation is sent with 200.
    case proceed(applyRange: Bool)
    /// 304 Not Modified.
    case notModified
    /// 412 Precondition Failed.
    case preconditionFailed
}
