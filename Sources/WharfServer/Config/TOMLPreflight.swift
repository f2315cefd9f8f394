/// Checks `wharf.toml` text for what TOMLKit's parser (toml++ 3.4) must not see, before it sees
/// it. toml++ asserts — aborting the process, or with `NDEBUG` assuming, which is worse — on some
/// malformed input instead of reporting it, so a typo in a config file crashed `wharf serve`.
/// The `toml` fuzz target found three: a date-time with a bad time (`1979-05-27T-08:00`), a
/// non-ASCII byte in a table header, and a key position holding something that cannot start a
/// key (`[+x]`, `[[= "T"`, `[` or `[[ # …` at the end of a line).
///
/// So this scanner follows TOML's structure just enough to refuse, with the line: a bare date or
/// time value (no Wharf setting takes one), a byte outside strings and comments that TOML does
/// not allow there (control characters, non-ASCII), and a key position (line start, after `[`,
/// `[[`, `.`, `{` or an inline table's `,`) that does not start with a bare-key character or a
/// quote. Anything else, right or wrong, is left to toml++, which reports it properly.
enum TOMLPreflight {
    private enum Context { case array, inlineTable }
    /// Where a value must come next: after `=` (on the same line), or in an array after `[` or
    /// `,` (where `]`, new lines and comments may come first).
    private enum Slot { case afterEquals, inArray }

    static func check(_ text: String) throws(ConfigError) {
        var s = Scanner(bytes: Array(text.utf8))
        try s.run()
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        /// Open value arrays and inline tables, innermost last.
        var stack: [Context] = []
        /// The next token is a key (or, at a line start, a table header).
        var expectKey = true
        var atLineStart = true
        var slot: Slot?

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func fail(_ what: String) -> ConfigError {
            ConfigError(key: "wharf.toml", problem: "\(what) at line \(line)")
        }

        func byte(_ j: Int) -> UInt8? { j < bytes.count ? bytes[j] : nil }
        func isDigit(_ j: Int) -> Bool { byte(j).map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        static func isBareKey(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
        }

        mutating func run() throws(ConfigError) {
            while i < bytes.count {
                let c = bytes[i]
                switch c {
                case 0x0A where slot == .afterEquals, 0x23 where slot == .afterEquals:
                    throw fail("expected a value after '='")
                case 0x0A:
                    line += 1
                    i += 1
                    // A new line starts a key, unless a value (array) is still open.
                    if stack.isEmpty {
                        expectKey = true
                        atLineStart = true
                    }
                case 0x20, 0x09, 0x0D:
                    i += 1
                case 0x23: // # to the end of the line
                    while i < bytes.count && bytes[i] != 0x0A { i += 1 }
                default:
                    if expectKey {
                        try key()
                    } else {
                        try value()
                    }
                }
            }
            if slot == .afterEquals { throw fail("expected a value after '='") }
        }

        /// At a key position: a table header (line start only), or a dotted key up to `=`.
        mutating func key() throws(ConfigError) {
            if atLineStart && stack.isEmpty && bytes[i] == 0x5B { // [ or [[
                i += byte(i + 1) == 0x5B ? 2 : 1
                atLineStart = false
                try dottedKey(until: 0x5D)
                // ] or ]]; the rest of the line holds nothing but a comment (toml++ checks that).
                while byte(i) == 0x5D { i += 1 }
                expectKey = true
                return
            }
            atLineStart = false
            try dottedKey(until: 0x3D)
            guard byte(i) == 0x3D else { return } // no `=`: toml++ reports it
            i += 1
            expectKey = false
            slot = .afterEquals
        }

        /// Key parts separated by `.`, each bare or quoted, up to `end` (`=` or `]`).
        mutating func dottedKey(until end: UInt8) throws(ConfigError) {
            while true {
                skipBlanks()
                // Nothing may stand in for a key part, not even the end of the line (`[` alone,
                // `[[ # …`, `a.` at the end of a line all assert in toml++).
                guard let c = byte(i) else { throw fail("expected a key, found the end of the file") }
                if c == 0x22 || c == 0x27 {
                    try skipString(c)
                } else if Self.isBareKey(c) {
                    while let b = byte(i), Self.isBareKey(b) { i += 1 }
                } else if c == 0x0A || c == 0x0D || c == 0x23 {
                    throw fail("expected a key, found the end of the line")
                } else {
                    throw fail(c < 0x80 && c >= 0x20 ? "expected a key, found '\(Character(Unicode.Scalar(c)))'"
                                                     : "a character outside a quoted string that TOML does not allow there")
                }
                skipBlanks()
                guard byte(i) == 0x2E else { break } // .
                i += 1
            }
            if let c = byte(i), c != end, c != 0x0A, c != 0x23 {
                if c >= 0x80 || c < 0x20 {
                    throw fail("a character outside a quoted string that TOML does not allow there")
                }
            }
        }

        /// One token of a value: a string, a number-like word, or a bracket or separator.
        mutating func value() throws(ConfigError) {
            let c = bytes[i]
            // Where a value must come, toml++ asserts on what ends one (`a = }`, `[1, }`).
            if let slot {
                let ends: Bool = switch c {
                case 0x7D, 0x2C: true
                case 0x5D: slot == .afterEquals
                default: false
                }
                if ends { throw fail("expected a value, found '\(Character(Unicode.Scalar(c)))'") }
                if c != 0x5D { self.slot = nil }
            }
            switch c {
            case 0x22, 0x27:
                try skipString(c)
            case 0x5B: // [
                stack.append(.array)
                i += 1
                slot = .inArray
            case 0x7B: // {
                stack.append(.inlineTable)
                i += 1
                skipBlanks()
                if byte(i) == 0x7D { return } // {}
                expectKey = true
            case 0x5D, 0x7D: // ] }
                if !stack.isEmpty { stack.removeLast() }
                i += 1
                slot = nil
            case 0x2C: // ,
                i += 1
                if stack.last == .inlineTable { expectKey = true } else if stack.last == .array { slot = .inArray }
            case 0x30...0x39:
                // A date (YYYY-) or a time (HH:) is refused; other numbers are left to toml++.
                var j = i
                while isDigit(j) { j += 1 }
                if (j - i == 4 && byte(j) == 0x2D && isDigit(j + 1)) || (j - i == 2 && byte(j) == 0x3A) {
                    throw fail("a date or time value; no setting takes one (quote it if it is text)")
                }
                i = j
            case 0x20...0x7E:
                i += 1
            default:
                throw fail("a character outside a quoted string that TOML does not allow there")
            }
        }

        mutating func skipBlanks() {
            while let c = byte(i), c == 0x20 || c == 0x09 { i += 1 }
        }

        /// Skips a string opened at `i` by `quote` (one or three of it); basic strings honour `\`.
        mutating func skipString(_ quote: UInt8) throws(ConfigError) {
            let triple = byte(i + 1) == quote && byte(i + 2) == quote
            i += triple ? 3 : 1
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x0A {
                    line += 1
                    if !triple { return } // unterminated: toml++ reports it
                }
                if quote == 0x22 && c == 0x5C {
                    i += 2
                    continue
                }
                if c == quote && (!triple || (byte(i + 1) == quote && byte(i + 2) == quote)) {
                    i += triple ? 3 : 1
                    return
                }
                i += 1
            }
        }
    }
}
