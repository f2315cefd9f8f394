/// A glob pattern that could not be compiled.
public struct GlobError: Error, Equatable, Sendable {
    /// What is wrong with the pattern, for configuration error messages.
    public let message: String

    /// Creates a glob error.
    public init(message: String) {
        self.message = message
    }
}
