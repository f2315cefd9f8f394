/// A configured cache rule: paths matching `pattern` get `directives`.
public struct CacheRule: Sendable, Equatable {
    /// Which URL paths the rule applies to.
    public let pattern: GlobPattern
    /// The header values to use; nil fields fall back to the defaults for the asset's kind.
    public let directives: CacheDirectives

    /// Creates a rule.
    public init(pattern: GlobPattern, directives: CacheDirectives) {
        self.pattern = pattern
        self.directives = directives
    }
}
