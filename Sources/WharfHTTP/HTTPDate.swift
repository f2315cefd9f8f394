/// HTTP-date formatting and parsing (RFC 9110 §5.6.7) without `DateFormatter`.
///
/// Dates are whole seconds since 1970-01-01T00:00:00Z, the resolution of HTTP dates.
public enum HTTPDate {
    /// The first instant with a four-digit year (0000-01-01T00:00:00Z); earlier values are clamped.
    static let minSeconds: Int64 = -62_167_219_200
    /// The last instant with a four-digit year (9999-12-31T23:59:59Z); later values are clamped.
    static let maxSeconds: Int64 = 253_402_300_799

    private static let dayNames: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longDayNames: [StaticString] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let monthNames: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`.
    ///
    /// Values outside years 0000…9999 are clamped, since the format has a four-digit year.
    public static func format(_ secondsSince1970: Int64) -> String {
        let t = min(max(secondsSince1970, minSeconds), maxSeconds)
        let days = floorDiv(t, 86_400)
        let secs = Int(t - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        // 1970-01-01 was a Thursday (index 4).
        let weekday = Int(((days % 7) + 11) % 7)
        return String(unsafeUninitializedCapacity: 29) { out in
            copy(dayNames[weekday], into: out, at: 0)
            out[3] = 0x2C; out[4] = 0x20
            two(day, out, 5)
            out[7] = 0x20
            copy(monthNames[month - 1], into: out, at: 8)
            out[11] = 0x20
            two(year / 100, out, 12)
            two(year % 100, out, 14)
            out[16] = 0x20
            two(secs / 3600, out, 17)
            out[19] = 0x3A
            two(secs / 60 % 60, out, 20)
            out[22] = 0x3A
            two(secs % 60, out, 23)
            out[25] = 0x20; out[26] = 0x47; out[27] = 0x4D; out[28] = 0x54  // " GMT"
            return 29
        }
    }

    /// Parses an HTTP-date in IMF-fixdate, RFC 850 or asctime form.
    ///
    /// Names are case-sensitive as in RFC 9110. The day name is required but not checked against the date.
    /// RFC 850's two-digit years below 70 are read as 20xx, others as 19xx (a fixed pivot keeps this pure).
    /// - Returns: Seconds since 1970, or nil if the text is not a valid date.
    public static func parse(_ s: String) -> Int64? {
        ASCII.withBytes(s) { buf -> Int64? in
            let (start, end) = ASCII.trim(buf, 0, buf.count)
            let p = UnsafeBufferPointer(rebasing: buf[start..<end])
            switch p.count {
            case 29: return parseIMF(p)
            case 24: return parseAsctime(p)
            default: return parseRFC850(p)
            }
        }
    }

    // MARK: - Forms

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    private static func parseIMF(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard name(p, 0, dayNames) != nil, p[3] == 0x2C, p[4] == 0x20,
              let day = digits(p, 5, 2), p[7] == 0x20,
              let month = name(p, 8, monthNames), p[11] == 0x20,
              let year = digits(p, 12, 4), p[16] == 0x20,
              let time = timeOfDay(p, 17), p[25] == 0x20,
              p[26] == 0x47, p[27] == 0x4D, p[28] == 0x54
        else { return nil }
        return assemble(year: year, month: month + 1, day: day, time: time)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    private static func parseRFC850(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let comma = p.firstIndex(of: 0x2C), longDay(p, comma) else { return nil }
        var i = comma + 1
        guard p.count - i == 23, p[i] == 0x20,
              let day = digits(p, i + 1, 2), p[i + 3] == ASCII.dash,
              let month = name(p, i + 4, monthNames), p[i + 7] == ASCII.dash,
              let yy = digits(p, i + 8, 2), p[i + 10] == 0x20
        else { return nil }
        i += 11
        guard let time = timeOfDay(p, i), p[i + 8] == 0x20,
              p[i + 9] == 0x47, p[i + 10] == 0x4D, p[i + 11] == 0x54
        else { return nil }
        return assemble(year: yy < 70 ? 2000 + yy : 1900 + yy, month: month + 1, day: day, time: time)
    }

    /// `Sun Nov  6 08:49:37 1994`
    private static func parseAsctime(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard name(p, 0, dayNames) != nil, p[3] == 0x20,
              let month = name(p, 4, monthNames), p[7] == 0x20
        else { return nil }
        let day: Int
        if p[8] == 0x20 {
            guard let d = digits(p, 9, 1) else { return nil }
            day = d
        } else {
            guard let d = digits(p, 8, 2) else { return nil }
            day = d
        }
        guard p[10] == 0x20, let time = timeOfDay(p, 11), p[19] == 0x20,
              let year = digits(p, 20, 4)
        else { return nil }
        return assemble(year: year, month: month + 1, day: day, time: time)
    }

    // MARK: - Pieces

    /// `HH:MM:SS` at `i`; seconds may be 60 (leap second, RFC 9110 §5.6.7).
    private static func timeOfDay(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard let h = digits(p, i, 2), p[i + 2] == 0x3A,
              let m = digits(p, i + 3, 2), p[i + 5] == 0x3A,
              let s = digits(p, i + 6, 2),
              h <= 23, m <= 59, s <= 60
        else { return nil }
        return h * 3600 + m * 60 + s
    }

    private static func assemble(year: Int, month: Int, day: Int, time: Int) -> Int64? {
        guard day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return days(fromCivil: year, month, day) * 86_400 + Int64(time)
    }

    private static func digits(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        guard i + n <= p.count else { return nil }
        var v = 0
        for k in i..<(i + n) {
            guard ASCII.isDigit(p[k]) else { return nil }
            v = v * 10 + Int(p[k] - ASCII.zero)
        }
        return v
    }

    /// The index of the three-letter name at `i` in `names`.
    private static func name(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ names: [StaticString]) -> Int? {
        guard i + 3 <= p.count else { return nil }
        for (k, n) in names.enumerated() {
            let u = n.utf8Start
            if p[i] == u[0], p[i + 1] == u[1], p[i + 2] == u[2] { return k }
        }
        return nil
    }

    /// Whether `p[0..<end]` is a full day name (`Sunday` …).
    private static func longDay(_ p: UnsafeBufferPointer<UInt8>, _ end: Int) -> Bool {
        longDayNames.contains { n in
            n.utf8CodeUnitCount == end && (0..<end).allSatisfy { p[$0] == n.utf8Start[$0] }
        }
    }

    private static func copy(_ s: StaticString, into out: UnsafeMutableBufferPointer<UInt8>, at i: Int) {
        let u = s.utf8Start
        out[i] = u[0]; out[i + 1] = u[1]; out[i + 2] = u[2]
    }

    private static func two(_ v: Int, _ out: UnsafeMutableBufferPointer<UInt8>, _ i: Int) {
        out[i] = ASCII.zero + UInt8(v / 10)
        out[i + 1] = ASCII.zero + UInt8(v % 10)
    }

    // MARK: - Calendar (proleptic Gregorian, H. Hinnant's algorithms)

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        case 1...12: return 31
        default: return 0
        }
    }

    /// Days since 1970-01-01 for a civil date.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date for a count of days since 1970-01-01.
    static func civil(fromDays z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}
