import Testing
@testable import WharfHTTP

/// RFC 9110 §13.2.2 precedence, case by case.
@Suite("Preconditions")
struct PreconditionsTests {
    static let etag = EntityTag("abc")
    static let lastModified: Int64 = 784_111_777
    static let same = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let earlier = "Sun, 06 Nov 1994 08:49:36 GMT"
    static let later = "Sun, 06 Nov 1994 08:49:38 GMT"

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let preconditions: Preconditions
        var isGetOrHead = true
        var hasRange = false
        var etag = PreconditionsTests.etag
        var lastModified = PreconditionsTests.lastModified
        let expected: PreconditionResult
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no conditions", preconditions: Preconditions(), expected: .proceed(applyRange: false)),

        // If-Match alone.
        Case(name: "IM strong match", preconditions: .init(ifMatch: "\"abc\""), expected: .proceed(applyRange: false)),
        Case(name: "IM mismatch", preconditions: .init(ifMatch: "\"xyz\""), expected: .preconditionFailed),
        Case(name: "IM *", preconditions: .init(ifMatch: "*"), expected: .proceed(applyRange: false)),
        Case(name: "IM * on weak etag", preconditions: .init(ifMatch: "*"), etag: EntityTag("abc", weak: true),
             expected: .proceed(applyRange: false)),
        Case(name: "IM weak tag never strong-matches", preconditions: .init(ifMatch: "W/\"abc\""), expected: .preconditionFailed),
        Case(name: "IM on weak etag", preconditions: .init(ifMatch: "\"abc\""), etag: EntityTag("abc", weak: true),
             expected: .preconditionFailed),
        Case(name: "IM list containing match", preconditions: .init(ifMatch: "\"x\", \"y\" ,\"abc\""), expected: .proceed(applyRange: false)),
        Case(name: "IM list without match", preconditions: .init(ifMatch: "\"x\", W/\"abc\""), expected: .preconditionFailed),
        Case(name: "IM unquoted garbage", preconditions: .init(ifMatch: "abc"), expected: .preconditionFailed),
        Case(name: "IM empty value is absent", preconditions: .init(ifMatch: "  "), expected: .proceed(applyRange: false)),
        Case(name: "IM on POST fails the same", preconditions: .init(ifMatch: "\"xyz\""), isGetOrHead: false, expected: .preconditionFailed),

        // If-Unmodified-Since alone.
        Case(name: "IUS same date", preconditions: .init(ifUnmodifiedSince: same), expected: .proceed(applyRange: false)),
        Case(name: "IUS later date", preconditions: .init(ifUnmodifiedSince: later), expected: .proceed(applyRange: false)),
        Case(name: "IUS earlier date", preconditions: .init(ifUnmodifiedSince: earlier), expected: .preconditionFailed),
        Case(name: "IUS invalid date ignored", preconditions: .init(ifUnmodifiedSince: "yesterday"), expected: .proceed(applyRange: false)),
        Case(name: "IUS RFC 850 earlier", preconditions: .init(ifUnmodifiedSince: "Sunday, 06-Nov-94 08:49:36 GMT"),
             expected: .preconditionFailed),

        // If-Match takes precedence over If-Unmodified-Since.
        Case(name: "IM pass + IUS fail → IUS ignored", preconditions: .init(ifMatch: "\"abc\"", ifUnmodifiedSince: earlier),
             expected: .proceed(applyRange: false)),
        Case(name: "IM fail + IUS pass", preconditions: .init(ifMatch: "\"x\"", ifUnmodifiedSince: later), expected: .preconditionFailed),
        Case(name: "IM * + IUS fail → IUS ignored", preconditions: .init(ifMatch: "*", ifUnmodifiedSince: earlier),
             expected: .proceed(applyRange: false)),

        // If-None-Match alone.
        Case(name: "INM strong match GET", preconditions: .init(ifNoneMatch: "\"abc\""), expected: .notModified),
        Case(name: "INM weak tag weak-matches", preconditions: .init(ifNoneMatch: "W/\"abc\""), expected: .notModified),
        Case(name: "INM strong tag vs weak etag", preconditions: .init(ifNoneMatch: "\"abc\""), etag: EntityTag("abc", weak: true),
             expected: .notModified),
        Case(name: "INM mismatch", preconditions: .init(ifNoneMatch: "\"xyz\""), expected: .proceed(applyRange: false)),
        Case(name: "INM *", preconditions: .init(ifNoneMatch: "*"), expected: .notModified),
        Case(name: "INM list with match", preconditions: .init(ifNoneMatch: "\"x\", W/\"abc\""), expected: .notModified),
        Case(name: "INM list without match", preconditions: .init(ifNoneMatch: "\"x\", \"y\""), expected: .proceed(applyRange: false)),
        Case(name: "INM garbage", preconditions: .init(ifNoneMatch: "abc"), expected: .proceed(applyRange: false)),
        Case(name: "INM match on POST → 412", preconditions: .init(ifNoneMatch: "\"abc\""), isGetOrHead: false,
             expected: .preconditionFailed),
        Case(name: "INM * on PUT → 412", preconditions: .init(ifNoneMatch: "*"), isGetOrHead: false, expected: .preconditionFailed),
        Case(name: "INM mismatch on POST", preconditions: .init(ifNoneMatch: "\"x\""), isGetOrHead: false,
             expected: .proceed(applyRange: false)),

        // If-Modified-Since alone.
        Case(name: "IMS same date → 304", preconditions: .init(ifModifiedSince: same), expected: .notModified),
        Case(name: "IMS later date → 304", preconditions: .init(ifModifiedSince: later), expected: .notModified),
        Case(name: "IMS earlier date → 200", preconditions: .init(ifModifiedSince: earlier), expected: .proceed(applyRange: false)),
        Case(name: "IMS invalid date ignored", preconditions: .init(ifModifiedSince: "Sun, 06 Nov 1994"), expected: .proceed(applyRange: false)),
        Case(name: "IMS asctime → 304", preconditions: .init(ifModifiedSince: "Sun Nov  6 08:49:37 1994"), expected: .notModified),
        Case(name: "IMS RFC 850 → 304", preconditions: .init(ifModifiedSince: "Sunday, 06-Nov-94 08:49:37 GMT"), expected: .notModified),
        Case(name: "IMS on POST ignored", preconditions: .init(ifModifiedSince: later), isGetOrHead: false,
             expected: .proceed(applyRange: false)),

        // If-None-Match takes precedence over If-Modified-Since.
        Case(name: "INM mismatch + IMS would 304 → IMS ignored", preconditions: .init(ifNoneMatch: "\"x\"", ifModifiedSince: later),
             expected: .proceed(applyRange: false)),
        Case(name: "INM match + IMS modified → 304", preconditions: .init(ifNoneMatch: "\"abc\"", ifModifiedSince: earlier),
             expected: .notModified),
        Case(name: "empty INM is absent, IMS applies", preconditions: .init(ifNoneMatch: "", ifModifiedSince: same), expected: .notModified),

        // Step order across the two groups.
        Case(name: "IM fail before INM match", preconditions: .init(ifMatch: "\"x\"", ifNoneMatch: "\"abc\""), expected: .preconditionFailed),
        Case(name: "IUS fail before INM match", preconditions: .init(ifNoneMatch: "\"abc\"", ifUnmodifiedSince: earlier),
             expected: .preconditionFailed),
        Case(name: "IUS fail before IMS 304", preconditions: .init(ifModifiedSince: later, ifUnmodifiedSince: earlier),
             expected: .preconditionFailed),
        Case(name: "IM pass + INM match GET → 304", preconditions: .init(ifMatch: "\"abc\"", ifNoneMatch: "\"abc\""), expected: .notModified),
        Case(name: "IM pass + INM match POST → 412", preconditions: .init(ifMatch: "\"abc\"", ifNoneMatch: "\"abc\""), isGetOrHead: false,
             expected: .preconditionFailed),
        Case(name: "IUS pass + IMS 304", preconditions: .init(ifModifiedSince: same, ifUnmodifiedSince: same), expected: .notModified),

        // Range and If-Range.
        Case(name: "Range without If-Range", preconditions: .init(), hasRange: true, expected: .proceed(applyRange: true)),
        Case(name: "If-Range without Range", preconditions: .init(ifRange: "\"abc\""), expected: .proceed(applyRange: false)),
        Case(name: "IR strong match", preconditions: .init(ifRange: "\"abc\""), hasRange: true, expected: .proceed(applyRange: true)),
        Case(name: "IR with spaces", preconditions: .init(ifRange: " \"abc\" "), hasRange: true, expected: .proceed(applyRange: true)),
        Case(name: "IR weak tag never matches", preconditions: .init(ifRange: "W/\"abc\""), hasRange: true,
             expected: .proceed(applyRange: false)),
        Case(name: "IR strong tag vs weak etag", preconditions: .init(ifRange: "\"abc\""), hasRange: true,
             etag: EntityTag("abc", weak: true), expected: .proceed(applyRange: false)),
        Case(name: "IR mismatch", preconditions: .init(ifRange: "\"xyz\""), hasRange: true, expected: .proceed(applyRange: false)),
        Case(name: "IR list is not an entity-tag", preconditions: .init(ifRange: "\"abc\", \"x\""), hasRange: true,
             expected: .proceed(applyRange: false)),
        Case(name: "IR date equal", preconditions: .init(ifRange: same), hasRange: true, expected: .proceed(applyRange: true)),
        Case(name: "IR date earlier", preconditions: .init(ifRange: earlier), hasRange: true, expected: .proceed(applyRange: false)),
        Case(name: "IR date later", preconditions: .init(ifRange: later), hasRange: true, expected: .proceed(applyRange: false)),
        Case(name: "IR Wednesday date (starts with W)", preconditions: .init(ifRange: "Wed, 03 Jan 2024 00:00:00 GMT"), hasRange: true,
             lastModified: 1_704_240_000, expected: .proceed(applyRange: true)),
        Case(name: "IR garbage", preconditions: .init(ifRange: "whatever"), hasRange: true, expected: .proceed(applyRange: false)),
        Case(name: "IR unquoted tag", preconditions: .init(ifRange: "abc"), hasRange: true, expected: .proceed(applyRange: false)),
        Case(name: "IR passes after IMS modified", preconditions: .init(ifModifiedSince: earlier, ifRange: "\"abc\""), hasRange: true,
             expected: .proceed(applyRange: true)),
        Case(name: "304 wins over Range", preconditions: .init(ifNoneMatch: "\"abc\"", ifRange: "\"abc\""), hasRange: true,
             expected: .notModified),
        Case(name: "412 wins over Range", preconditions: .init(ifMatch: "\"x\"", ifRange: "\"abc\""), hasRange: true,
             expected: .preconditionFailed),
    ]

    @Test(arguments: cases)
    func evaluate(_ c: Case) {
        let result = c.preconditions.evaluate(
            isGetOrHead: c.isGetOrHead, hasRange: c.hasRange, etag: c.etag, lastModified: c.lastModified
        )
        #expect(result == c.expected)
    }

    @Test func isEmpty() {
        #expect(Preconditions().isEmpty)
        #expect(!Preconditions(ifRange: "x").isEmpty)
        #expect(!Preconditions(ifModifiedSince: "").isEmpty)
    }
}
