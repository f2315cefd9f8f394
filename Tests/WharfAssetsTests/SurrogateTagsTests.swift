import Testing
import WharfHTTP
@testable import WharfAssets

@Suite struct SurrogateTagsTests {
    @Test func pathDirectoriesAndRoot() {
        #expect(SurrogateTags.forPath("/img/photos/cat.jpg").tags == ["/img/photos/cat.jpg", "/img/photos/", "/img/", "/"])
        #expect(SurrogateTags.forPath("/index.html").tags == ["/index.html", "/"])
        #expect(SurrogateTags.forPath("/docs/", buildID: "2026-12-01.3").tags == ["/docs/", "build.2026-12-01.3", "/"])
        #expect(SurrogateTags.forPath("/a/b.css", extra: ["css", "theme"]).tags == ["/a/b.css", "css", "theme", "/a/", "/"])
    }

    @Test func valuesOutsideTheAlphabetAreHashedNotCut() {
        let upper = SurrogateTags.tag(for: "/img/Photo.JPG")
        #expect(upper.hasPrefix("h.") && upper.count == 34)
        #expect(upper == SurrogateTags.tag(for: "/img/Photo.JPG")) // stable
        #expect(upper != SurrogateTags.tag(for: "/img/photo.jpg"))
        #expect(SurrogateTags.tag(for: "/img/photo.jpg") == "/img/photo.jpg")
        for bad in ["/a b.jpg", "/a:b", "/a,b", "/é.png", "/a*b", "/a@b", "/{x}", String(repeating: "a", count: 129)] {
            let t = SurrogateTags.tag(for: bad)
            #expect(t.hasPrefix("h.") && SurrogateTags.isValid(t), "\(bad)")
        }
        #expect(SurrogateTags.isValid(String(repeating: "a", count: 128)))
        #expect(!SurrogateTags.isValid(""))
    }

    @Test func everyTagFitsEveryCDN() {
        let deep = "/" + (1...80).map { "d\($0)" }.joined(separator: "/") + "/file.txt"
        let tags = SurrogateTags.forPath(deep, buildID: "b1", extra: ["x"])
        #expect(tags.tags.count == SurrogateTags.maxCount)
        #expect(tags.tags.first == SurrogateTags.tag(for: deep) && tags.tags.contains("/") && tags.tags.contains("build.b1"))
        #expect(tags.tags.allSatisfy(SurrogateTags.isValid))
        // Rules can fill the list, but never push out "/" or repeat a tag.
        let crowded = SurrogateTags.forPath("/a/b.css", extra: (0..<70).map { "r\($0)" } + ["/a/", "r1"])
        #expect(crowded.tags.count == SurrogateTags.maxCount && crowded.tags.last == "/")
        #expect(Set(crowded.tags).count == crowded.tags.count)
        for header in TagHeader.allCases {
            #expect(header.encode(tags).utf8.count < 16_384, "\(header)")
        }
    }

    @Test func encodings() {
        let tags = SurrogateTags(tags: ["/a.css", "/"])
        #expect(TagHeader.surrogateKey.encode(tags) == "/a.css /")
        #expect(TagHeader.xkey.encode(tags) == "/a.css /")
        #expect(TagHeader.cacheTag.encode(tags) == "/a.css,/")
        #expect(TagHeader.edgeCacheTag.encode(tags) == "/a.css,/")
        #expect(TagHeader.cacheGroups.encode(tags) == "\"/a.css\", \"/\"")
    }

    @Test func policyEmitsTheConfiguredHeadersOnly() throws {
        var p = TagPolicy()
        #expect(p.fields(forPath: "/a.css").isEmpty)
        p.headers = [.surrogateKey, .cacheTag]
        p.rules = [TagPolicy.Rule(pattern: try GlobPattern("*.css"), tags: ["css"])]
        let f = p.fields(forPath: "/a.css")
        #expect(f.count == 2)
        #expect(f[0] == ("Surrogate-Key", "/a.css css /") || (f[0].0 == "Surrogate-Key" && f[0].1 == "/a.css css /"))
        #expect(f[1].0 == "Cache-Tag" && f[1].1 == "/a.css,css,/")
    }
}
