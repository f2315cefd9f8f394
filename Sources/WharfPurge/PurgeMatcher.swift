import Foundation

/// Which of the origin's own URL paths a purge covers, for its local effect (dropping cached
/// entries, re-hashing files). Paths are decoded URL paths as the catalog keys them.
public struct PurgeMatcher: Sendable {
    let all: Bool
    let paths: Set<String>
    let prefixes: [String]
    let tags: Set<String>
    let tagsOf: @Sendable (String) -> [String]

    public init(_ request: PurgeRequest, tags tagsOf: @escaping @Sendable (String) -> [String]) {
        all = request.all
        paths = Set(request.urls.map { Self.decodedPath(originForm($0).target) })
        prefixes = request.prefixes.map { $0.removingPercentEncoding ?? $0 }
        tags = Set(request.tags)
        self.tagsOf = tagsOf
    }

    public func matches(_ path: String) -> Bool {
        if all || paths.contains(path) { return true }
        if prefixes.contains(where: { path.hasPrefix($0) }) { return true }
        return !tags.isEmpty && tagsOf(path).contains(where: tags.contains)
    }

    /// The decoded path of an origin-form target (query dropped).
    public static func decodedPath(_ target: String) -> String {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        return path.removingPercentEncoding ?? path
    }
}
