import Foundation
import Testing
@testable import WharfHTTP

@Suite("HTTPDate")
struct HTTPDateTests {
    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_000_000_000, "Sun, 09 Sep 2001 01:46:40 GMT"),
        (1_704_240_000, "Wed, 03 Jan 2024 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (-62_135_596_800, "Mon, 01 Jan 0001 00:00:00 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ])
    func formatsIMFFixdate(seconds: Int64, expected: String) {
        #expect(HTTPDate.format(seconds) == expected)
        #expect(HTTPDate.parse(expected) == seconds)
    }

    @Test func clampsToFourDigitYears() {
        #expect(HTTPDate.format(.max) == "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(HTTPDate.format(.min) == "Sat, 01 Jan 0000 00:00:00 GMT")
    }

    @Test(arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "  Sun, 06 Nov 1994 08:49:37 GMT ",
    ])
    func parsesTheThreeForms(input: String) {
        #expect(HTTPDate.parse(input) == 784_111_777)
    }

    @Test(arguments: [
        ("Wed Nov 16 08:49:37 1994", Int64(784_975_777)),
        ("Thursday, 01-Jan-70 00:00:00 GMT", 0),
        ("Tuesday, 01-Jan-69 00:00:00 GMT", 3_124_224_000),  // pivot: 69 → 2069
        ("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_800),  // leap second
        ("Mon, 06 Nov 1994 08:49:37 GMT", 784_111_777),  // wrong weekday is tolerated
    ])
    func parsesEdgeCases(input: String, expected: Int64) {
        #expect(HTTPDate.parse(input) == expected)
    }

    @Test(arguments: [
        "", "garbage", "0", "784111777",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        "sun, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 GMT extra",
        "Sun 06 Nov 1994 08:49:37 GMTX",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Thu, 29 Feb 1900 00:00:00 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:3a GMT",
        "Sun, 06 Xyz 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sonday, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06 Nov 94 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994",
        "Sun Nov  6 08:49:37 94",
        "Sun Nov 31 08:49:37 1994",
    ])
    func rejectsInvalidDates(input: String) {
        #expect(HTTPDate.parse(input) == nil)
    }

    @Test func roundTripsAcrossTheRange() {
        var t: Int64 = -62_167_219_200
        var count = 0
        while t <= 253_402_300_799 {
            #expect(HTTPDate.parse(HTTPDate.format(t)) == t)
            t += 7_777_777_777 + 86_399  // odd step to land on many times of day and leap years
            count += 1
        }
        #expect(count > 30)
        for t in Int64(0)..<Int64(3 * 86_400) where t % 997 == 0 {
            #expect(HTTPDate.parse(HTTPDate.format(t)) == t)
        }
    }

    @Test func formatMatchesFoundation() {
        // Foundation switches to the Julian calendar before 1582, so compare modern dates only.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        for t in stride(from: Int64(-2_000_000_000), through: 4_000_000_000, by: 123_456_789) {
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
            #expect(HTTPDate.format(t) == expected)
            #expect(HTTPDate.parse(expected) == t)
        }
    }
}
