import Testing
@testable import WharfHTTP

@Suite("AcceptEncoding")
struct AcceptEncodingTests {
    static let all: [ContentCoding] = [.br, .gzip, .identity]

    struct Case: Sendable, CustomTestStringConvertible {
        let header: String?
        var available: [ContentCoding] = AcceptEncodingTests.all
        let expected: ContentCoding?
        var testDescription: String { "\(header.map { "\"\($0)\"" } ?? "absent") from \(available)" }
    }

    static let cases: [Case] = [
        Case(header: nil, expected: .identity),
        Case(header: nil, available: [.br, .gzip], expected: nil),
        Case(header: "", expected: .identity),
        Case(header: "   ", expected: .identity),
        Case(header: "gzip", expected: .gzip),
        Case(header: "br", expected: .br),
        Case(header: "gzip, deflate, br", expected: .br),
        Case(header: "gzip, deflate, br, zstd", available: [.gzip, .identity], expected: .gzip),
        Case(header: "br", available: [.gzip, .identity], expected: .identity),
        Case(header: "br;q=0", expected: .identity),
        Case(header: "br;q=0, gzip", expected: .gzip),
        Case(header: "*;q=0, identity", expected: .identity),
        Case(header: "*;q=0", expected: nil),
        Case(header: "*;q=0", available: [.identity], expected: nil),
        Case(header: "identity;q=0", expected: nil),
        Case(header: "identity;q=0", available: [.identity], expected: nil),
        Case(header: "gzip, identity;q=0", expected: .gzip),
        Case(header: "gzip, identity;q=0", available: [.identity], expected: nil),
        Case(header: "*;q=0, gzip", expected: .gzip),
        Case(header: "*;q=0, gzip", available: [.br, .identity], expected: nil),
        Case(header: "gzip;q=0.5, br;q=0.5", expected: .br),
        Case(header: "br;q=0.4, gzip;q=0.5", expected: .gzip),
        Case(header: "identity;q=0.5, gzip;q=0.4", expected: .identity),
        Case(header: "GZIP", expected: .gzip),
        Case(header: "Br", expected: .br),
        Case(header: "x-gzip", expected: .gzip),
        Case(header: "X-GZIP;Q=0.7, br;q=0.6", expected: .gzip),
        Case(header: "  gzip ;  q=0.8 ,br ; q = 0.9 ", expected: .br),
        Case(header: "\tbr\t;\tq=1\t", expected: .br),
        Case(header: "*", expected: .br),
        Case(header: "*", available: [.gzip, .identity], expected: .gzip),
        Case(header: "*", available: [.identity], expected: .identity),
        Case(header: "br;q=0.1, *;q=0.5", expected: .gzip),
        Case(header: "br;q=0.1, *;q=0.5", available: [.br, .identity], expected: .identity),
        Case(header: "br;q=abc, gzip;q=0.1", expected: .gzip),
        Case(header: "br;q=2", expected: .identity),
        Case(header: "br;q=-1", expected: .identity),
        Case(header: "br;q=1.5", expected: .identity),
        Case(header: "br;q=1.001", expected: .identity),
        Case(header: "br;q=0.1234", expected: .identity),
        Case(header: "br;q=", expected: .identity),
        Case(header: "br;q", expected: .identity),
        Case(header: "br;q=.5", expected: .identity),
        Case(header: "br;q=0.5x", expected: .identity),
        Case(header: "*;q=abc", expected: .identity),
        Case(header: "identity;q=bad", expected: .identity),
        Case(header: "garbage, ;;;, foo=bar, ,,", expected: .identity),
        Case(header: "deflate, zstd, compress", expected: .identity),
        Case(header: "gzip br", expected: .identity),
        Case(header: "gzip;q=0.001", expected: .gzip),
        Case(header: "gzip;q=0, gzip", expected: .identity),
        Case(header: "gzip;level=9;q=0.5, br;q=0.4", expected: .gzip),
        Case(header: "br, gzip", available: [], expected: nil),
    ]

    @Test(arguments: cases)
    func select(_ c: Case) {
        #expect(AcceptEncoding.parse(c.header).select(from: c.available) == c.expected)
    }

    @Test func qualities() {
        let absent = AcceptEncoding.parse(nil)
        #expect(absent.quality(of: .identity) == 1)
        #expect(absent.quality(of: .br) == 0)
        #expect(absent.quality(of: .gzip) == 0)

        let listed = AcceptEncoding.parse("gzip;q=0.5, br;q=0.25")
        #expect(listed.quality(of: .gzip) == 0.5)
        #expect(listed.quality(of: .br) == 0.25)
        #expect(listed.quality(of: .identity) == 0.001)

        let star = AcceptEncoding.parse("br;q=0.1, *;q=0.5")
        #expect(star.quality(of: .br) == 0.1)
        #expect(star.quality(of: .gzip) == 0.5)
        #expect(star.quality(of: .identity) == 0.5)

        #expect(AcceptEncoding.parse("*;q=0").quality(of: .identity) == 0)
        #expect(AcceptEncoding.parse("*;q=0, identity").quality(of: .identity) == 1)
        #expect(AcceptEncoding.parse("identity;q=0").quality(of: .identity) == 0)
        #expect(AcceptEncoding.parse("br;q=1.000").quality(of: .br) == 1)
        #expect(AcceptEncoding.parse("br;q=1.").quality(of: .br) == 1)
        #expect(AcceptEncoding.parse("br;q=0.001").quality(of: .br) == 0.001)
        #expect(AcceptEncoding.parse("br;q=0.").quality(of: .br) == 0)
        #expect(AcceptEncoding.parse("br;q=0.1234").quality(of: .br) == 0)
        #expect(AcceptEncoding.parse("br;q=0.1234").quality(of: .identity) == 0.001)
    }

    @Test func absentEmptyAndIdentityAreEquivalent() {
        #expect(AcceptEncoding.parse(nil) == AcceptEncoding.parse(""))
        #expect(AcceptEncoding.parse(nil) == AcceptEncoding.parse("identity"))
        #expect(AcceptEncoding.parse("gzip") != AcceptEncoding.parse("br"))
    }

    @Test func codingSuffixes() {
        #expect(ContentCoding.br.etagSuffix == "-br")
        #expect(ContentCoding.gzip.etagSuffix == "-gz")
        #expect(ContentCoding.identity.etagSuffix == "")
        #expect(ContentCoding.br.fileSuffix == ".br")
        #expect(ContentCoding.gzip.fileSuffix == ".gz")
        #expect(ContentCoding.identity.fileSuffix == "")
        #expect(ContentCoding.allCases == [.br, .gzip, .identity])
        #expect(ContentCoding(rawValue: "gzip") == .gzip)
    }
}
