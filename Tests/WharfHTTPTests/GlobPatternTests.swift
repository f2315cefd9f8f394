import Testing
@testable import WharfHTTP

@Suite("GlobPattern")
struct GlobPatternTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let pattern: String
        let matching: [String]
        let notMatching: [String]
        var testDescription: String { pattern }
    }

    static let cases: [Case] = [
        Case(pattern: "*.js", matching: ["/app.js", "/a/b/app.js", "/.js"], notMatching: ["/app.css", "/app.js.map", "/js", "/a.js/b"]),
        Case(pattern: "/assets/*.js", matching: ["/assets/app.js", "/assets/.js"],
             notMatching: ["/assets/sub/app.js", "/x/assets/app.js", "/assets/app.css"]),
        Case(pattern: "/assets/**", matching: ["/assets/a/b.js", "/assets/", "/assets/x"], notMatching: ["/assets", "/assetsx/a"]),
        Case(pattern: "/**/*.js", matching: ["/app.js", "/a/b/c.js"], notMatching: ["/app.css", "app.js"]),
        Case(pattern: "/a/**/b", matching: ["/a/b", "/a/x/b", "/a/x/y/b"], notMatching: ["/a/xb", "/a/x/yb", "/b"]),
        Case(pattern: "/a/**b", matching: ["/a/b", "/a/xb", "/a/x/yb"], notMatching: ["/a/", "/a/bc"]),
        Case(pattern: "**/index.html", matching: ["/index.html", "/docs/index.html"], notMatching: ["/myindex.html"]),
        Case(pattern: "assets/*.css", matching: ["/assets/x.css"], notMatching: ["/y/assets/x.css", "/assets/a/x.css"]),
        Case(pattern: "?.txt", matching: ["/a.txt", "/d/b.txt", "/\u{E9}.txt"], notMatching: ["/ab.txt", "/.txt"]),
        Case(pattern: "caf?", matching: ["/caf\u{E9}", "/cafe"], notMatching: ["/caf", "/cafes"]),
        Case(pattern: "*.{js,css,mjs}", matching: ["/a.css", "/b/c.mjs", "/x.js"], notMatching: ["/a.html", "/a.jss"]),
        Case(pattern: "{index,404}.html", matching: ["/index.html", "/docs/404.html"], notMatching: ["/500.html"]),
        Case(pattern: "/{a,b}/x", matching: ["/a/x", "/b/x"], notMatching: ["/c/x", "/ab/x"]),
        Case(pattern: "{/a,/b}/x", matching: ["/a/x", "/b/x"], notMatching: ["//a/x"]),
        Case(pattern: "{a,b}/x", matching: ["/a/x", "/b/x"], notMatching: ["/c/a/x"]),
        Case(pattern: "/{img,fonts}/*.{png,woff2}", matching: ["/img/a.png", "/fonts/b.woff2", "/img/c.woff2"],
             notMatching: ["/img/a.jpg", "/css/a.png"]),
        Case(pattern: "file{,s}.txt", matching: ["/file.txt", "/files.txt"], notMatching: ["/filez.txt"]),
        Case(pattern: "[abc].js", matching: ["/a.js", "/c.js"], notMatching: ["/d.js", "/ab.js"]),
        Case(pattern: "[a-c]x", matching: ["/ax", "/bx"], notMatching: ["/dx", "/Ax"]),
        Case(pattern: "[!a].js", matching: ["/d.js", "/Z.js"], notMatching: ["/a.js"]),
        Case(pattern: "[^a].js", matching: ["/d.js"], notMatching: ["/a.js"]),
        Case(pattern: "/a[/]b", matching: [], notMatching: ["/a/b"]),
        Case(pattern: "[]]", matching: ["/]"], notMatching: ["/a"]),
        Case(pattern: "[a-]", matching: ["/a", "/-"], notMatching: ["/b"]),
        Case(pattern: "*", matching: ["/anything", "/a/b", "/"], notMatching: []),
        Case(pattern: "/*", matching: ["/a", "/"], notMatching: ["/a/b"]),
        Case(pattern: "/a*", matching: ["/a", "/abc"], notMatching: ["/ab/c", "/b"]),
        Case(pattern: "**", matching: ["/a/b/c", "/"], notMatching: []),
        Case(pattern: "*.JS", matching: ["/a.JS"], notMatching: ["/a.js"]),
        Case(pattern: "\\*.js", matching: ["/*.js"], notMatching: ["/a.js"]),
        Case(pattern: "a\\{b\\}", matching: ["/a{b}"], notMatching: ["/ab"]),
        Case(pattern: "/index.html", matching: ["/index.html"], notMatching: ["/docs/index.html", "/index.htm"]),
        Case(pattern: "/caf\u{E9}/*", matching: ["/caf\u{E9}/x"], notMatching: ["/cafe/x"]),
    ]

    @Test(arguments: cases)
    func matching(_ c: Case) throws {
        let glob = try GlobPattern(c.pattern)
        #expect(glob.pattern == c.pattern)
        for path in c.matching {
            #expect(glob.matches(path), "\(c.pattern) should match \(path)")
        }
        for path in c.notMatching {
            #expect(!glob.matches(path), "\(c.pattern) should not match \(path)")
        }
    }

    @Test(arguments: ["", "{a,b", "a}", "[abc", "a]", "{a,{b}}", "a\\", "[z-a]", "*.{js", "x/{a,b}}/y"])
    func invalidPatterns(pattern: String) {
        #expect(throws: GlobError.self) { try GlobPattern(pattern) }
    }

    @Test func errorMessages() {
        #expect(throws: GlobError(message: "unbalanced '{'")) { try GlobPattern("{a,b") }
        #expect(throws: GlobError(message: "unbalanced '['")) { try GlobPattern("[ab") }
        #expect(throws: GlobError(message: "empty glob pattern")) { try GlobPattern("") }
    }

    @Test func tooManyExpansionsIsAnError() {
        let pattern = String(repeating: "{a,b,c,d}", count: 5)
        #expect(throws: GlobError.self) { try GlobPattern(pattern) }
    }

    @Test func pathologicalPatternStaysLinear() throws {
        let glob = try GlobPattern("/*a*a*a*a*a*a*a*a*a*a*b")
        let path = "/" + String(repeating: "a", count: 20_000)
        #expect(!glob.matches(path))
        #expect(glob.matches(path + "b"))
        let deep = try GlobPattern("/**a**a**a**a**a**b")
        #expect(!deep.matches("/" + Array(repeating: "aaaa", count: 2_000).joined(separator: "/")))
    }

    @Test func equalityIsByPattern() throws {
        #expect(try GlobPattern("*.js") == GlobPattern("*.js"))
        #expect(try GlobPattern("*.js") != GlobPattern("*.css"))
    }
}
