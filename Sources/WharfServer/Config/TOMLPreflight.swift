/// Checks `wharf.toml` text for what TOMLKit's parser (toml++ 3.4) must not see, before it
/// sees it. toml++ asserts on some malformed date-times (`1979-05-27T-08:00` aborts the process
/// in `parse_time`; with `NDEBUG` the same check becomes an optimiser assumption, which is
/// worse), so a typo in a config file would crash `wharf serve` instead of naming the line.
/// Found by the `toml` fuzz target. No Wharf setting takes a date or a time, so any bare
/// date-time literal is refused here with its line; strings and comments are skipped.
enum TOMLPreflight {
    static func check(_ text: String) throws(ConfigError) {
        let b = Array(text.utf8)
        var i = 0
        var line = 1
        func isDigit(_ j: Int) -> Bool { j < b.count && b[j] >= 0x30 && b[j] <= 0x39 }
        /// Skips a string opened at `i` by `quote` (one or three of it); basic strings honour `\`.
        func skipString(_ quote: UInt8) {
            let triple = i + 2 < b.count && b[i + 1] == quote && b[i + 2] == quote
            i += triple ? 3 : 1
            while i < b.count {
                if b[i] == 0x0A {
                    line += 1
                    if !triple { return } // unterminated: toml++ reports it
                }
                if quote == 0x22 && b[i] == 0x5C { i += 2; continue }
                if b[i] == quote && (!triple || (i + 2 < b.count && b[i + 1] == quote && b[i + 2] == quote)) {
                    i += triple ? 3 : 1
                    return
                }
                i += 1
            }
        }
        while i < b.count {
            switch b[i] {
            case 0x0A:
                line += 1
                i += 1
            case 0x23: // # comment to the end of the line
                while i < b.count && b[i] != 0x0A { i += 1 }
            case 0x22, 0x27:
                skipString(b[i])
            case 0x30...0x39 where i == 0 || !(isDigit(i - 1) || b[i - 1] == 0x5F || (b[i - 1] | 0x20) >= 0x61 && (b[i - 1] | 0x20) <= 0x7A):
                // A token starting with a digit: YYYY-… is a date, HH:… a time.
                var j = i
                while isDigit(j) { j += 1 }
                let digits = j - i
                if (digits == 4 && j < b.count && b[j] == 0x2D && isDigit(j + 1)) || (digits == 2 && j < b.count && b[j] == 0x3A) {
                    throw ConfigError(key: "wharf.toml", problem: "a date or time value at line \(line); no setting takes one (quote it if it is text)")
                }
                i = j
            default:
                i += 1
            }
        }
    }
}
