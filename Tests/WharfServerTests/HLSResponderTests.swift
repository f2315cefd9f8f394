import Testing
@testable import WharfServer
import WharfMedia

@Suite struct HLSResponderTests {
    @Test func aDirectoryMasterCarriesEveryRenditionsTagsOnce() {
        let merged = HLSResponder.mergeTags([
            ("Surrogate-Key", "/v/t/a.mp4 /v/t/ /v/ /"), ("Cache-Tag", "/v/t/a.mp4,/v/t/,/v/,/"),
            ("Surrogate-Key", "/v/t/b.mp4 /v/t/ /v/ /"), ("Cache-Tag", "/v/t/b.mp4,/v/t/,/v/,/"),
            ("Cache-Groups", "\"/v/t/a.mp4\", \"/\""), ("Cache-Groups", "\"/v/t/b.mp4\", \"/\""),
        ])
        #expect(merged.map(\.0) == ["Surrogate-Key", "Cache-Tag", "Cache-Groups"])
        #expect(merged[0].1 == "/v/t/a.mp4 /v/t/ /v/ / /v/t/b.mp4")
        #expect(merged[1].1 == "/v/t/a.mp4,/v/t/,/v/,/,/v/t/b.mp4")
        #expect(merged[2].1 == "\"/v/t/a.mp4\", \"/\", \"/v/t/b.mp4\"")
    }

    @Test func renditionListsAreCheckedKeyByKey() throws {
        let list = try RenditionList.parse("[[rendition]]\nfile = \"1080p.mp4\"\nname = \"HD\"\n[[rendition]]\nfile = \"540p.mp4\"\n")
        #expect(list.entries == [.init(file: "1080p.mp4", name: "HD"), .init(file: "540p.mp4", name: "540p")])
        for (text, reason) in [("", "no [[rendition]]"), ("x = 1", "unknown key"), ("[[rendition]]\nname = \"a\"", "file must"),
                               ("[[rendition]]\nfile = \"../a.mp4\"", "file must"), ("[[rendition]]\nfile = \"a.mp4\"\nlabel = \"x\"", "not a known key"),
                               ("[[rendition]\n", "not valid TOML")] {
            #expect {
                try RenditionList.parse(text)
            } throws: { error in
                guard let e = error as? MediaError else { return false }
                return e.status == 422 && e.message.contains(reason)
            }
        }
    }
}
