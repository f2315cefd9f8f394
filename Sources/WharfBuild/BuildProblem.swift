/// Something wrong with one file of a build, named with its path.
public struct BuildProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case warning, error }

    public let path: String
    public let message: String
    public let severity: Severity

    public init(_ path: String, _ message: String, severity: Severity) {
        self.path = path
        self.message = message
        self.severity = severity
    }

    public var description: String { "\(severity.rawValue): \(path): \(message)" }
}
