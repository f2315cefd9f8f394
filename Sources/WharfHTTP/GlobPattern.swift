/// A path glob for cache rules.
///
/// A pattern that contains `/` is anchored at the root and matches the whole URL path (a missing
/// leading `/` is implied, as in .gitignore). A pattern without `/` matches the last segment only.
///
/// Syntax: `*` any run of characters other than `/`; `**` any run including `/`; `**/` also matches
/// nothing, so `/**/*.js` matches `/app.js`; `?` one character other than `/`; `{a,b,c}` alternatives
/// (not nested); `[abc]`, `[a-z]`, `[!x]` or `[^x]` one character (never `/`); `\` escapes the next
/// character. Matching is case-sensitive and works on Unicode scalars.
public struct GlobPattern: Sendable, Equatable {
    /// The pattern as written.
    public let pattern: String
    /// Whether the pattern matches the whole path rather than the last segment.
    private let anchored: Bool
    /// One token sequence per brace expansion; the pattern matches if any does.
    private let alternatives: [[Token]]

    /// The most brace expansions one pattern may produce.
    static let maxExpansions = 256

    /// Compiles a pattern.
    /// - Throws: ``GlobError`` for an empty pattern, unbalanced or nested braces, unbalanced brackets,
    ///   a trailing backslash, or too many brace expansions.
    public init(_ pattern: String) throws(GlobError) {
        guard !pattern.isEmpty else { throw GlobError(message: "empty glob pattern") }
        let scalars = Array(pattern.unicodeScalars)
        let anchored = scalars.contains("/")
        var parser = Parser(scalars: scalars)
        let pieces = try parser.parse()
        var expansions: [[Token]] = [[]]
        for piece in pieces {
            switch piece {
            case .token(let t):
                for k in expansions.indices { expansions[k].append(t) }
            case .choice(let options):
                guard expansions.count * options.count <= Self.maxExpansions else {
                    throw GlobError(message: "too many brace alternatives in \(pattern)")
                }
                expansions = expansions.flatMap { prefix in options.map { prefix + $0 } }
            }
        }
        self.pattern = pattern
        self.anchored = anchored
        if anchored {
            // Anchored patterns are rooted; a missing leading "/" is implied (per expansion, so "{a,/b}/x" works).
            for k in expansions.indices where expansions[k].first != .literal("/") {
                expansions[k].insert(.literal("/"), at: 0)
            }
        }
        self.alternatives = expansions.map(Self.fuseDeepSlash)
    }

    /// Patterns are equal when written identically (the compiled form follows from the text).
    public static func == (lhs: GlobPattern, rhs: GlobPattern) -> Bool {
        lhs.pattern == rhs.pattern
    }

    /// Whether `urlPath` (a decoded path starting with `/`) matches.
    public func matches(_ urlPath: String) -> Bool {
        let subject: Substring.UnicodeScalarView
        if anchored {
            subject = Substring(urlPath).unicodeScalars
        } else {
            let scalars = urlPath.unicodeScalars
            let start = scalars.lastIndex(of: "/").map { scalars.index(after: $0) } ?? scalars.startIndex
            subject = Substring(urlPath)[start...].unicodeScalars
        }
        return alternatives.contains { Self.run($0, subject) }
    }

    // MARK: - Matching

    /// Simulates the token NFA over `subject` in O(tokens × scalars) time, so hostile paths cannot
    /// trigger exponential backtracking.
    private static func run(_ tokens: [Token], _ subject: Substring.UnicodeScalarView) -> Bool {
        let m = tokens.count
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: 2 * (m + 1)) { mem -> Bool in
            let cur = UnsafeMutableBufferPointer(rebasing: mem[0...m])
            let next = UnsafeMutableBufferPointer(rebasing: mem[(m + 1)...])
            cur.initialize(repeating: false)
            next.initialize(repeating: false)
            cur[0] = true
            close(tokens, cur)
            for c in subject {
                var any = false
                for i in 0..<m where cur[i] {
                    switch tokens[i] {
                    case .literal(let x):
                        if c == x { next[i + 1] = true }
                    case .one:
                        if c != "/" { next[i + 1] = true }
                    case .set(let negated, let items):
                        if c != "/", Self.setContains(items, c) != negated { next[i + 1] = true }
                    case .star:
                        if c != "/" { next[i] = true }
                    case .deep:
                        next[i] = true
                    case .deepSlash:
                        // A "/" keeps us at a boundary; anything else enters a segment of the run.
                        next[c == "/" ? i : i + 1] = true
                    case .deepSlashInside:
                        next[c == "/" ? i - 1 : i] = true
                    }
                }
                close(tokens, next)
                for i in 0...m {
                    cur[i] = next[i]
                    any = any || next[i]
                    next[i] = false
                }
                if !any { return false }
            }
            return cur[m]
        }
    }

    /// Epsilon closure: the star-like tokens may match nothing. Epsilon moves only go forward,
    /// so one left-to-right pass is enough. Inside a `**/` run the only way on is through a `/`,
    /// so ``Token/deepSlashInside`` has no epsilon move.
    @inline(__always)
    private static func close(_ tokens: [Token], _ states: UnsafeMutableBufferPointer<Bool>) {
        for i in 0..<tokens.count where states[i] {
            switch tokens[i] {
            case .star, .deep: states[i + 1] = true
            case .deepSlash: states[i + 2] = true
            default: break
            }
        }
    }

    private static func setContains(_ items: [SetItem], _ c: Unicode.Scalar) -> Bool {
        items.contains { item in
            switch item {
            case .scalar(let s): c == s
            case .range(let lo, let hi): c.value >= lo.value && c.value <= hi.value
            }
        }
    }

    /// Turns `**` followed by `/` into a two-state token pair that matches nothing or any run ending in `/`.
    private static func fuseDeepSlash(_ tokens: [Token]) -> [Token] {
        var out: [Token] = []
        out.reserveCapacity(tokens.count)
        var i = 0
        while i < tokens.count {
            if tokens[i] == .deep, i + 1 < tokens.count, tokens[i + 1] == .literal("/") {
                out.append(.deepSlash)
                out.append(.deepSlashInside)
                i += 2
            } else {
                out.append(tokens[i])
                i += 1
            }
        }
        return out
    }

    // MARK: - Compilation

    enum Token: Equatable, Sendable {
        case literal(Unicode.Scalar)
        case one
        case set(negated: Bool, items: [SetItem])
        case star
        case deep
        /// `**/` at a boundary (nothing consumed yet, or just after a `/`): matches `(.*/)?`.
        case deepSlash
        /// The second state of `**/`: partway through a segment of the run. Always follows ``deepSlash``.
        case deepSlashInside
    }

    enum SetItem: Equatable, Sendable {
        case scalar(Unicode.Scalar)
        case range(Unicode.Scalar, Unicode.Scalar)
    }

    private enum Piece {
        case token(Token)
        case choice([[Token]])
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        var i = 0

        init(scalars: [Unicode.Scalar]) {
            self.scalars = scalars
        }

        mutating func parse() throws(GlobError) -> [Piece] {
            var pieces: [Piece] = []
            while i < scalars.count {
                let c = scalars[i]
                switch c {
                case "{":
                    i += 1
                    pieces.append(.choice(try braces()))
                case "}":
                    throw GlobError(message: "unbalanced '}'")
                default:
                    pieces.append(.token(try token()))
                }
            }
            return pieces
        }

        /// The alternatives after `{`, up to and including the matching `}`.
        mutating func braces() throws(GlobError) -> [[Token]] {
            var options: [[Token]] = [[]]
            while i < scalars.count {
                switch scalars[i] {
                case "}":
                    i += 1
                    return options
                case ",":
                    i += 1
                    options.append([])
                case "{":
                    throw GlobError(message: "nested '{' is not supported")
                default:
                    let t = try token()
                    options[options.count - 1].append(t)
                }
            }
            throw GlobError(message: "unbalanced '{'")
        }

        /// One token that is not a brace.
        mutating func token() throws(GlobError) -> Token {
            let c = scalars[i]
            i += 1
            switch c {
            case "*":
                if i < scalars.count, scalars[i] == "*" {
                    // Any further stars add nothing to `**`.
                    while i < scalars.count, scalars[i] == "*" { i += 1 }
                    return .deep
                }
                return .star
            case "?":
                return .one
            case "[":
                return try bracket()
            case "]":
                throw GlobError(message: "unbalanced ']'")
            case "\\":
                guard i < scalars.count else { throw GlobError(message: "trailing '\\'") }
                i += 1
                return .literal(scalars[i - 1])
            default:
                return .literal(c)
            }
        }

        /// A class after `[`, up to and including `]`. A `]` right after `[` or `[!` is literal.
        mutating func bracket() throws(GlobError) -> Token {
            var negated = false
            if i < scalars.count, scalars[i] == "!" || scalars[i] == "^" {
                negated = true
                i += 1
            }
            var items: [SetItem] = []
            var first = true
            while i < scalars.count {
                var c = scalars[i]
                if c == "]", !first {
                    i += 1
                    return .set(negated: negated, items: items)
                }
                first = false
                i += 1
                if c == "\\" {
                    guard i < scalars.count else { break }
                    c = scalars[i]
                    i += 1
                }
                if i + 1 < scalars.count, scalars[i] == "-", scalars[i + 1] != "]" {
                    var hi = scalars[i + 1]
                    i += 2
                    if hi == "\\" {
                        guard i < scalars.count else { break }
                        hi = scalars[i]
                        i += 1
                    }
                    guard c.value <= hi.value else { throw GlobError(message: "reversed range in '[…]'") }
                    items.append(.range(c, hi))
                } else {
                    items.append(.scalar(c))
                }
            }
            throw GlobError(message: "unbalanced '['")
        }
    }
}
