/// Why a request-target was refused, with the status to answer.
public struct PathError: Error, Equatable, Sendable {
    /// 400 for malformed or hostile targets, 404 for hidden (dot) files.
    public let status: Int
    /// A short message that is safe to show to the client.
    public let reason: String

    /// Creates a path error.
    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    static let invalidTarget = PathError(status: 400, reason: "invalid request target")
    static let invalidCharacter = PathError(status: 400, reason: "invalid character in path")
    static let invalidEscape = PathError(status: 400, reason: "invalid percent-encoding")
    static let nulByte = PathError(status: 400, reason: "NUL in path")
    static let controlCharacter = PathError(status: 400, reason: "control character in path")
    static let invalidUTF8 = PathError(status: 400, reason: "invalid UTF-8 in path")
    static let backslash = PathError(status: 400, reason: "backslash in path")
    static let encodedSlash = PathError(status: 400, reason: "encoded slash in path")
    static let traversal = PathError(status: 400, reason: "path traversal")
    /// Deliberately the same message as a missing file, so hidden files are not revealed.
    static let hidden = PathError(status: 404, reason: "not found")
}
