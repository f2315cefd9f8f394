import Testing
@testable import WharfHTTP

@Suite("CachePolicy")
struct CachePolicyTests {
    static let immutable = CacheDirectives(
        cacheControl: "public, max-age=31536000, immutable",
        cdnCacheControl: "max-age=31536000",
        surrogateControl: "max-age=31536000"
    )
    static let html = CacheDirectives(
        cacheControl: "public, max-age=0, must-revalidate",
        cdnCacheControl: "max-age=60, stale-while-revalidate=600, stale-if-error=86400",
        surrogateControl: "max-age=60, stale-while-revalidate=600, stale-if-error=86400"
    )
    static let other = CacheDirectives(
        cacheControl: "public, max-age=3600, stale-while-revalidate=86400, stale-if-error=86400",
        cdnCacheControl: "max-age=86400, stale-while-revalidate=86400, stale-if-error=604800",
        surrogateControl: "max-age=86400, stale-while-revalidate=86400, stale-if-error=604800"
    )
    static let notFound = CacheDirectives(cacheControl: "public, max-age=60", cdnCacheControl: "max-age=60", surrogateControl: "max-age=60")

    @Test func builtInDefaults() {
        #expect(CachePolicy.builtInDefaults.count == 4)
        #expect(CachePolicy.builtInDefaults[.fingerprinted] == Self.immutable)
        #expect(CachePolicy.builtInDefaults[.html] == Self.html)
        #expect(CachePolicy.builtInDefaults[.other] == Self.other)
        #expect(CachePolicy.builtInDefaults[.notFound] == Self.notFound)
        // CDN-Cache-Control is a Structured Fields dictionary: no bare "public" token.
        for d in CachePolicy.builtInDefaults.values {
            #expect(d.cdnCacheControl?.contains("public") == false)
        }
    }

    @Test(arguments: [
        ("/index.html", "text/html; charset=utf-8", AssetKind.html),
        ("/docs/", "text/html; charset=utf-8", .html),
        ("/page", "TEXT/HTML", .html),
        ("/page", " text/html ;charset=utf-8", .html),
        ("/app.3f2a9c1d0e.js", "text/javascript; charset=utf-8", .fingerprinted),
        ("/index.3f2a9c1d0e.html", "text/html; charset=utf-8", .fingerprinted),
        ("/assets/index-BXc3m_Ad.css", "text/css; charset=utf-8", .fingerprinted),
        ("/logo.png", "image/png", .other),
        ("/app.js", "text/javascript; charset=utf-8", .other),
        ("/feed.xml", "application/xhtml+xml", .other),
        ("/x", "text/htmlx", .other),
    ])
    func kinds(path: String, contentType: String, expected: AssetKind) {
        #expect(CachePolicy.kind(forPath: path, contentType: contentType) == expected)
    }

    @Test func defaultsPerKind() {
        let policy = CachePolicy()
        #expect(policy.directives(forPath: "/app.3f2a9c1d0e.js", contentType: "text/javascript") == Self.immutable)
        #expect(policy.directives(forPath: "/index.html", contentType: "text/html; charset=utf-8") == Self.html)
        #expect(policy.directives(forPath: "/robots.txt", contentType: "text/plain; charset=utf-8") == Self.other)
        #expect(policy.notFoundDirectives(forPath: "/missing.js") == Self.notFound)
    }

    @Test func ruleOverridesOnlyItsNonNilFields() throws {
        let policy = CachePolicy(rules: [
            CacheRule(pattern: try GlobPattern("*.pdf"), directives: CacheDirectives(cacheControl: "public, max-age=600")),
        ])
        let d = policy.directives(forPath: "/docs/manual.pdf", contentType: "application/pdf")
        #expect(d.cacheControl == "public, max-age=600")
        #expect(d.cdnCacheControl == Self.other.cdnCacheControl)
        #expect(d.surrogateControl == Self.other.surrogateControl)
        #expect(policy.directives(forPath: "/a.png", contentType: "image/png") == Self.other)
    }

    @Test func firstMatchingRuleWins() throws {
        let policy = CachePolicy(rules: [
            CacheRule(pattern: try GlobPattern("/api/**"), directives: CacheDirectives(cacheControl: "no-store", cdnCacheControl: "no-store")),
            CacheRule(pattern: try GlobPattern("*.json"), directives: CacheDirectives(cacheControl: "public, max-age=5")),
        ])
        let api = policy.directives(forPath: "/api/v1/data.json", contentType: "application/json")
        #expect(api == CacheDirectives(cacheControl: "no-store", cdnCacheControl: "no-store", surrogateControl: Self.other.surrogateControl))
        let json = policy.directives(forPath: "/data.json", contentType: "application/json")
        #expect(json.cacheControl == "public, max-age=5")
        #expect(json.cdnCacheControl == Self.other.cdnCacheControl)
    }

    @Test func rulesApplyOverFingerprintedAndNotFoundDefaults() throws {
        let policy = CachePolicy(rules: [
            CacheRule(pattern: try GlobPattern("/assets/**"), directives: CacheDirectives(surrogateControl: "max-age=1")),
        ])
        let asset = policy.directives(forPath: "/assets/app.3f2a9c1d0e.js", contentType: "text/javascript")
        #expect(asset.cacheControl == Self.immutable.cacheControl)
        #expect(asset.surrogateControl == "max-age=1")
        let missing = policy.notFoundDirectives(forPath: "/assets/gone.js")
        #expect(missing == CacheDirectives(cacheControl: "public, max-age=60", cdnCacheControl: "max-age=60", surrogateControl: "max-age=1"))
        #expect(policy.notFoundDirectives(forPath: "/gone.js") == Self.notFound)
    }

    @Test func customDefaultsAndMissingKindsFallBack() {
        let custom = CacheDirectives(cacheControl: "no-cache")
        let policy = CachePolicy(defaults: [.html: custom])
        #expect(policy.directives(forPath: "/", contentType: "text/html") == custom)
        #expect(policy.directives(forPath: "/a.css", contentType: "text/css") == Self.other)
        #expect(policy.notFoundDirectives(forPath: "/x") == Self.notFound)
    }

    @Test func overlaying() {
        let top = CacheDirectives(cdnCacheControl: "max-age=1")
        #expect(top.overlaying(Self.other) == CacheDirectives(
            cacheControl: Self.other.cacheControl, cdnCacheControl: "max-age=1", surrogateControl: Self.other.surrogateControl
        ))
        #expect(CacheDirectives().overlaying(Self.html) == Self.html)
    }
}
