/// A configuration problem, naming the key (or flag) and what is wrong with it.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let key: String
    public let problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(key): \(problem)" }
}
