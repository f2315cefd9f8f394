import Foundation
import Testing
@testable import WharfPurge

@Suite struct PurgeRequestTests {
    func parse(_ json: String, limits: PurgeLimits = PurgeLimits()) throws(PurgeError) -> PurgeRequest {
        try PurgeRequest.parse(json: Array(json.utf8), limits: limits)
    }

    func error(_ json: String, limits: PurgeLimits = PurgeLimits()) -> PurgeError? {
        do { _ = try parse(json, limits: limits); return nil } catch { return error }
    }

    @Test func parsesEveryField() throws {
        let r = try parse(#"{"urls":["/a.css","https://www.example.com/b.js?v=2"],"tags":["build.42","/img/"],"prefixes":["/img/"],"all":false,"soft":true}"#)
        #expect(r.urls == ["/a.css", "https://www.example.com/b.js?v=2"])
        #expect(r.tags == ["build.42", "/img/"])
        #expect(r.prefixes == ["/img/"])
        #expect(r.soft && !r.all)
        #expect(try parse(#"{"all":true}"#).all)
    }

    @Test func tagsOutsideTheAlphabetBecomeTheHashedFormTheOriginEmits() throws {
        let r = try parse(#"{"tags":["/img/Photo Big.JPG"]}"#.replacingOccurrences(of: " ", with: "%20"))
        #expect(r.tags.count == 1)
        let r2 = try parse(#"{"tags":["/IMG/a.jpg"]}"#)
        #expect(r2.tags[0].hasPrefix("h.") && r2.tags[0].count == 34)
    }

    @Test func duplicatesAreDropped() throws {
        #expect(try parse(#"{"urls":["/a","/a","/b"]}"#).urls == ["/a", "/b"])
    }

    @Test(arguments: [
        (#"not json"#, "not valid JSON"),
        (#"[1,2]"#, "JSON object"),
        (#"{}"#, "nothing to purge"),
        (#"{"all":false}"#, "nothing to purge"),
        (#"{"urls":[]}"#, "nothing to purge"),
        (#"{"bogus":1,"all":true}"#, "unknown field \"bogus\""),
        (#"{"urls":"/a"}"#, "urls must be an array"),
        (#"{"urls":[1]}"#, "urls[0] must be a string"),
        (#"{"urls":[""]}"#, "urls[0] is empty"),
        (#"{"urls":["/a b"]}"#, "urls[0] contains spaces"),
        (#"{"urls":["ftp://x/a"]}"#, "not a path or an absolute"),
        (#"{"urls":["//evil/a"]}"#, "not a path or an absolute"),
        (#"{"urls":["relative.css"]}"#, "not a path or an absolute"),
        (#"{"tags":[true]}"#, "tags[0] must be a string"),
        (#"{"prefixes":["img/"]}"#, "must be a URL path"),
        (#"{"prefixes":["/img/?x"]}"#, "must not have a query"),
        (#"{"all":1}"#, "all must be true or false"),
        (#"{"all":"true"}"#, "all must be true or false"),
        (#"{"soft":1,"all":true}"#, "soft must be true or false"),
    ])
    func badInputIs400NamingTheField(json: String, expected: String) {
        let e = error(json)
        #expect(e?.status == 400)
        #expect(e?.message.contains(expected) == true, "\(json) → \(String(describing: e))")
    }

    /// Paths are compared as bytes: a combining mark right after "/" or "?" makes one Character
    /// of the two, which Character-wise `hasPrefix("/")` / `contains("?")` would misread.
    @Test func pathsWithCombiningMarksAreReadAsBytes() throws {
        let r = try parse(#"{"urls":["/\u0301x.css"],"prefixes":["/\u07aa/"]}"#)
        #expect(r.prefixes == ["/\u{07AA}/"])
        #expect(error(#"{"prefixes":["/img/?\u0301x"]}"#)?.message.contains("must not have a query") == true)
        #expect(originForm("/\u{301}x.css") == (nil, "/\u{301}x.css"))
    }

    @Test func limits() {
        var limits = PurgeLimits()
        limits.maxItems = 3
        limits.maxItemBytes = 10
        limits.maxBodyBytes = 200
        #expect(error(#"{"urls":["/a","/b"],"tags":["c","d"]}"#, limits: limits)?.message.contains("too many items") == true)
        #expect(error(#"{"urls":["/a","/b","/c","/d"]}"#, limits: limits)?.message.contains("urls: 4 items") == true)
        #expect(error(#"{"urls":["/aaaaaaaaaaaaa"]}"#, limits: limits)?.message.contains("over 10 bytes") == true)
        let big = #"{"urls":["/a"],"tags":[""# + String(repeating: "x", count: 300) + #""]}"#
        #expect(error(big, limits: limits)?.status == 413)
    }
}
