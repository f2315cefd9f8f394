import Testing
@testable import WharfHTTP

@Suite("RangeSelection")
struct RangeSelectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let header: String
        var length = 1000
        var maxRanges = 10
        let expected: RangeSelection
        var testDescription: String { "\(header) /\(length) max \(maxRanges)" }
    }

    static func r(_ offset: Int, _ length: Int) -> ByteRange { ByteRange(offset: offset, length: length) }

    static let cases: [Case] = [
        // Single forms.
        Case(header: "bytes=0-99", expected: .single(r(0, 100))),
        Case(header: "bytes=0-0", expected: .single(r(0, 1))),
        Case(header: "bytes=999-999", expected: .single(r(999, 1))),
        Case(header: "bytes=500-", expected: .single(r(500, 500))),
        Case(header: "bytes=0-", expected: .single(r(0, 1000))),
        Case(header: "bytes=-100", expected: .single(r(900, 100))),
        Case(header: "bytes=-1", expected: .single(r(999, 1))),
        Case(header: "bytes=-1000", expected: .single(r(0, 1000))),
        Case(header: "bytes=-2000", expected: .single(r(0, 1000))),
        Case(header: "bytes=900-5000", expected: .single(r(900, 100))),
        Case(header: "bytes=0-9223372036854775807", expected: .single(r(0, 1000))),
        Case(header: "  bytes=10-19  ", expected: .single(r(10, 10))),
        Case(header: "bytes= 10-19 ", expected: .single(r(10, 10))),
        Case(header: "Bytes=0-5", expected: .single(r(0, 6))),
        Case(header: "BYTES=0-5", expected: .single(r(0, 6))),
        Case(header: "bytes=0-0", length: 1, expected: .single(r(0, 1))),

        // Unsatisfiable → 416.
        Case(header: "bytes=-0", expected: .unsatisfiable),
        Case(header: "bytes=1000-", expected: .unsatisfiable),
        Case(header: "bytes=1000-2000", expected: .unsatisfiable),
        Case(header: "bytes=5000-", expected: .unsatisfiable),
        Case(header: "bytes=1000-,-0,2000-2001", expected: .unsatisfiable),
        Case(header: "bytes=9223372036854775807-", expected: .unsatisfiable),
        Case(header: "bytes=1-", length: 1, expected: .unsatisfiable),

        // Several ranges: unsatisfiable members dropped, sorted, coalesced.
        Case(header: "bytes=0-99,200-299", expected: .multiple([r(0, 100), r(200, 100)])),
        Case(header: "bytes=200-299,0-99", expected: .multiple([r(0, 100), r(200, 100)])),
        Case(header: "bytes=0-0,2-2,4-4", expected: .multiple([r(0, 1), r(2, 1), r(4, 1)])),
        Case(header: "bytes=0-99,-100", expected: .multiple([r(0, 100), r(900, 100)])),
        Case(header: "bytes=0-99,100-199", expected: .single(r(0, 200))),
        Case(header: "bytes=0-99,50-149", expected: .single(r(0, 150))),
        Case(header: "bytes=50-149,0-99", expected: .single(r(0, 150))),
        Case(header: "bytes=0-1,4-5,2-3", expected: .single(r(0, 6))),
        Case(header: "bytes=0-9,3-4", expected: .single(r(0, 10))),
        Case(header: "bytes=0-99,2000-3000", expected: .single(r(0, 100))),
        Case(header: "bytes=0-99,-0", expected: .single(r(0, 100))),
        Case(header: "bytes=0-1,,2-3", expected: .single(r(0, 4))),
        Case(header: "bytes=0-1, ,4-5", expected: .multiple([r(0, 2), r(4, 2)])),
        Case(header: "bytes=0-499,0-499", expected: .single(r(0, 500))),
        Case(header: "bytes=0-9,20-29,10-19,40-49", expected: .multiple([r(0, 30), r(40, 10)])),

        // Overlap abuse: the sum exceeds the length → serve 200.
        Case(header: "bytes=0-,0-", expected: .none),
        Case(header: "bytes=0-500,0-500", expected: .none),
        Case(header: "bytes=-600,0-500", expected: .none),
        Case(header: "bytes=" + Array(repeating: "0-99", count: 11).joined(separator: ","), maxRanges: 20, expected: .none),

        // Too many ranges → 416 rejected.
        Case(header: "bytes=0-0,2-2,4-4", maxRanges: 2, expected: .rejected("too many ranges")),
        Case(header: "bytes=" + (0..<100).map { "\($0 * 2)-\($0 * 2)" }.joined(separator: ","), maxRanges: 50,
             expected: .rejected("too many ranges")),
        Case(header: "bytes=0-0,2-2", maxRanges: 2, expected: .multiple([r(0, 1), r(2, 1)])),

        // Ranges disabled.
        Case(header: "bytes=0-99", maxRanges: 0, expected: .none),

        // Other units and syntax errors → ignore Range.
        Case(header: "", expected: .none),
        Case(header: "items=0-5", expected: .none),
        Case(header: "bytes 0-5", expected: .none),
        Case(header: "bytes =0-5", expected: .none),
        Case(header: "bytes", expected: .none),
        Case(header: "bytes=", expected: .none),
        Case(header: "bytes=,", expected: .none),
        Case(header: "bytes= , ", expected: .none),
        Case(header: "bytes=5-4", expected: .none),
        Case(header: "bytes=0-99,5-4", expected: .none),
        Case(header: "bytes=a-b", expected: .none),
        Case(header: "bytes=0-1,x", expected: .none),
        Case(header: "bytes=-", expected: .none),
        Case(header: "bytes=--5", expected: .none),
        Case(header: "bytes=1-2-3", expected: .none),
        Case(header: "bytes=0x10-20", expected: .none),
        Case(header: "bytes=+5-10", expected: .none),
        Case(header: "bytes=0 -5", expected: .none),
        Case(header: "bytes=5", expected: .none),
        Case(header: "bytes=0-99999999999999999999999", expected: .none),
        Case(header: "bytes=99999999999999999999-", expected: .none),
        Case(header: "bytes=-99999999999999999999", expected: .none),
        Case(header: "bytes=0-5;x", expected: .none),

        // Empty representation: ranges are ignored, like Go.
        Case(header: "bytes=0-0", length: 0, expected: .none),
        Case(header: "bytes=-5", length: 0, expected: .none),
        Case(header: "bytes=5-", length: 0, expected: .none),
    ]

    @Test(arguments: cases)
    func select(_ c: Case) {
        #expect(RangeSelection.select(c.header, length: c.length, maxRanges: c.maxRanges) == c.expected)
    }

    @Test func byteRangeAccessors() {
        let range = ByteRange(offset: 0, length: 100)
        #expect(range.lastByte == 99)
        #expect(range.contentRange(completeLength: 1000) == "bytes 0-99/1000")
        #expect(ByteRange(offset: 999, length: 1).contentRange(completeLength: 1000) == "bytes 999-999/1000")
    }

    @Test func multipleIsAscendingAndDisjoint() {
        let header = "bytes=" + (0..<40).reversed().map { "\($0 * 10)-\($0 * 10 + 4)" }.joined(separator: ",")
        guard case .multiple(let ranges) = RangeSelection.select(header, length: 1000, maxRanges: 64) else {
            Issue.record("expected multiple ranges")
            return
        }
        #expect(ranges.count == 40)
        #expect(ranges.first == ByteRange(offset: 0, length: 5))
        for (a, b) in zip(ranges, ranges.dropFirst()) {
            #expect(a.lastByte + 1 < b.offset)
        }
    }
}
