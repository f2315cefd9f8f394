import Testing
@testable import WharfHTTP

@Suite("RequestTarget")
struct RequestTargetTests {
    enum Outcome: Sendable, Equatable {
        case accepted([String])
        case status(Int)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let target: String
        let outcome: Outcome
        init(_ target: String, _ outcome: Outcome) {
            self.target = target
            self.outcome = outcome
        }
        var testDescription: String { target.debugDescription }
    }

    static func ok(_ segments: String...) -> Outcome { .accepted(segments) }
    static let bad = Outcome.status(400)
    static let hidden = Outcome.status(404)

    /// Traversal and encoding attacks, with the exact expected outcome of each.
    static let attacks: [Case] = [
        // Plain and encoded dot-dot.
        Case("/../etc/passwd", bad),
        Case("/..", bad),
        Case("/.", bad),
        Case("/a/./b", bad),
        Case("/a/b/../../../etc/passwd", bad),
        Case("/%2e%2e/etc/passwd", bad),
        Case("/%2e%2e/", bad),
        Case("/%2E%2e/", bad),
        Case("/%2e%2E/x", bad),
        Case("/%2E%2E/%2E%2E/etc/passwd", bad),
        Case("/a/%2e/b", bad),
        Case("/a/%2e%2e", bad),
        Case("/a/.%2e/b", bad),
        Case("/a/%2e./b", bad),
        Case("/a/%2e%2e?x=1", bad),
        Case("http://x/../a", bad),
        Case("https://example.com/a/%2e%2e/b", bad),
        Case("/.well-known/../.env", bad),
        // Encoded separators.
        Case("/..%2f", bad),
        Case("/%2e%2e%2f", bad),
        Case("/%2e%2e%2fetc%2fpasswd", bad),
        Case("/a%2f..%2f..%2fetc", bad),
        Case("/%2f%2fetc", bad),
        Case("/%2F", bad),
        Case("/..%5c", bad),
        Case("/%5c..%5c", bad),
        Case("/%2e%2e%5c%2e%2e%5cwindows", bad),
        Case("/..\\", bad),
        Case("/a\\b", bad),
        Case("/\\..\\etc", bad),
        // Overlong and invalid UTF-8.
        Case("/%c0%ae%c0%ae/", bad),
        Case("/%c0%af", bad),
        Case("/..%c0%af../", bad),
        Case("/%c1%9c", bad),
        Case("/%e0%80%ae", bad),
        Case("/%f0%80%80%ae", bad),
        Case("/%ed%a0%80", bad),
        Case("/%f4%90%80%80", bad),
        Case("/%f8%88%80%80%80", bad),
        Case("/%ff", bad),
        Case("/%80", bad),
        Case("/%e2%80", bad),
        Case("/%c3%28", bad),
        Case("/%e2%82%28", bad),
        // Double encoding is decoded once: harmless literal names.
        Case("/%252e%252e/", ok("%2e%2e")),
        Case("/%252e%252e%252fetc", ok("%2e%2e%2fetc")),
        Case("/%25%32%65%25%32%65/", ok("%2e%2e")),
        Case("/%u002e%u002e/", bad),
        Case("/%%32%65%%32%65/", bad),
        // Broken escapes.
        Case("/%", bad),
        Case("/%2", bad),
        Case("/a%2", bad),
        Case("/%zz", bad),
        Case("/%g0", bad),
        // NUL and control characters, raw or decoded.
        Case("/a/%00", bad),
        Case("/a%00.html", bad),
        Case("/a/..%00/b", bad),
        Case("/..%00", bad),
        Case("/.git/%00", bad),
        Case("/\u{0}", bad),
        Case("/%09", bad),
        Case("/%7f", bad),
        Case("/%0d%0aSet-Cookie:x", bad),
        Case("/a\r\nSet-Cookie:x", bad),
        Case("/a\tb", bad),
        Case("/a\u{7F}", bad),
        Case("/a b", bad),
        Case("/café", bad),
        // Dotfiles and dot-directories.
        Case("/.env", hidden),
        Case("/.git/config", hidden),
        Case("/a/.git/HEAD", hidden),
        Case("/.htaccess", hidden),
        Case("/%2egit/config", hidden),
        Case("/a/..;/b", hidden),
        Case("/....//", hidden),
        Case("/...", hidden),
        Case("/..%2e", hidden),
        Case("/%2e%2e%2e", hidden),
        Case("/.%2e%2e", hidden),
        Case("/a/.well-known/x", hidden),
        Case("/.well-known/.hidden", hidden),
        // Look-alikes that are just names.
        Case("/%e2%80%a4%e2%80%a4/", ok("\u{2024}\u{2024}")),
        Case("/%ef%bc%8e%ef%bc%8e/", ok("\u{FF0E}\u{FF0E}")),
        Case("/%e3%80%82%e3%80%82/x", ok("\u{3002}\u{3002}", "x")),
        Case("/a..b/c..", ok("a..b", "c..")),
        // Allowed shapes.
        Case("//etc/passwd", ok("etc", "passwd")),
        Case("/a//b///c", ok("a", "b", "c")),
        Case("/.well-known/acme-challenge/tok", ok(".well-known", "acme-challenge", "tok")),
        Case("/%2ewell-known/x", ok(".well-known", "x")),
        Case("/c:/windows/win.ini", ok("c:", "windows", "win.ini")),
        Case("/file::$DATA", ok("file::$DATA")),
        Case("/a/b%3b/c", ok("a", "b;", "c")),
        Case("/caf%c3%a9", ok("caf\u{E9}")),
        Case("/%f0%9f%98%80", ok("\u{1F600}")),
        Case("/%ef%bf%bf", ok("\u{FFFF}")),
        Case("/a%20b", ok("a b")),
        Case("/a?../../x", ok("a")),
        Case("/a#/../../x", ok("a")),
        Case("http://x/a/b?q=1", ok("a", "b")),
        Case("HTTPS://example.com", ok()),
        Case("/", ok()),
        // Not a request-target we serve.
        Case("etc/passwd", bad),
        Case("../etc/passwd", bad),
        Case("*", bad),
        Case("", bad),
        Case("ftp://x/a", bad),
        Case("file:///etc/passwd", bad),
    ]

    @Test func tableIsLargeEnough() {
        #expect(Self.attacks.count >= 60)
    }

    @Test(arguments: attacks)
    func attack(_ c: Case) {
        do {
            let target = try RequestTarget.parse(c.target)
            #expect(Outcome.accepted(target.segments) == c.outcome)
            Self.checkInvariants(target)
        } catch {
            #expect(Outcome.status(error.status) == c.outcome, "reason: \(error.reason)")
        }
    }

    /// No accepted result may contain a segment that escapes or hides.
    static func checkInvariants(_ target: RequestTarget) {
        for (i, s) in target.segments.enumerated() {
            #expect(!s.isEmpty)
            #expect(s != "." && s != "..")
            #expect(!s.contains("/") && !s.contains("\\") && !s.contains("\u{0}"))
            #expect(!s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
            #expect(!s.hasPrefix(".") || (i == 0 && s == ".well-known"))
        }
    }

    @Test func errorsCarryReasons() {
        #expect(throws: PathError(status: 400, reason: "path traversal")) { try RequestTarget.parse("/a/../b") }
        #expect(throws: PathError(status: 400, reason: "encoded slash in path")) { try RequestTarget.parse("/a%2fb") }
        #expect(throws: PathError(status: 400, reason: "invalid percent-encoding")) { try RequestTarget.parse("/%zz") }
        #expect(throws: PathError(status: 400, reason: "NUL in path")) { try RequestTarget.parse("/a%00") }
        #expect(throws: PathError(status: 400, reason: "invalid UTF-8 in path")) { try RequestTarget.parse("/%c0%ae") }
        #expect(throws: PathError(status: 400, reason: "backslash in path")) { try RequestTarget.parse("/a%5cb") }
        #expect(throws: PathError(status: 404, reason: "not found")) { try RequestTarget.parse("/.env") }
    }

    @Test func queryTrailingSlashAndPath() throws {
        let t = try RequestTarget.parse("/docs//guide/?v=1&x=%20#frag")
        #expect(t.segments == ["docs", "guide"])
        #expect(t.hasTrailingSlash)
        #expect(t.query == "v=1&x=%20")
        #expect(t.path == "/docs/guide/")

        let plain = try RequestTarget.parse("/a/b.txt")
        #expect(!plain.hasTrailingSlash)
        #expect(plain.query == nil)
        #expect(plain.path == "/a/b.txt")

        let emptyQuery = try RequestTarget.parse("/a?")
        #expect(emptyQuery.query == "")

        let fragmentFirst = try RequestTarget.parse("/a#x?y")
        #expect(fragmentFirst.query == nil)

        let root = try RequestTarget.parse("/")
        #expect(root.segments.isEmpty)
        #expect(root.hasTrailingSlash)
        #expect(root.path == "/")

        let absolute = try RequestTarget.parse("http://example.com?x")
        #expect(absolute.segments.isEmpty)
        #expect(absolute.path == "/")
        #expect(absolute.query == "x")

        let decoded = try RequestTarget.parse("/caf%C3%A9/a%20b")
        #expect(decoded.path == "/caf\u{E9}/a b")
        #expect(try RequestTarget.parse("/a//").path == "/a/")
    }
}
