import Testing
@testable import WharfImage

@Suite struct TransformQueryTests {
    func spec(_ query: String, _ options: ImageOptions = ImageOptions()) throws(ImageError) -> TransformSpec {
        guard let q = try TransformQuery.parse(query) else { throw ImageError(status: 0, message: "not a transform") }
        return try TransformSpec.resolve(q, options: options)
    }

    func error(_ query: String, _ options: ImageOptions = ImageOptions()) -> ImageError? {
        do {
            _ = try spec(query, options)
            return nil
        } catch {
            return error
        }
    }

    @Test func queriesWithoutTransformParametersAreNotTransforms() throws {
        #expect(try TransformQuery.parse(nil) == nil)
        #expect(try TransformQuery.parse("") == nil)
        #expect(try TransformQuery.parse("v=3") == nil)
        #expect(try TransformQuery.parse("utm_source=x&v=3") == nil)
        #expect(try TransformQuery.parse("v=%zz&x=%") == nil)
        #expect(try TransformQuery.parse("s=abc") != nil)
    }

    @Test func aliasesAndOrderGiveOneCanonicalKey() throws {
        let a = try spec("h=2&w=1")
        let b = try spec("width=1&height=2")
        #expect(a.canonicalKey(format: .webp, quality: 80) == b.canonicalKey(format: .webp, quality: 80))
        #expect(a.normalizedQuery == "h=2&w=1")
        #expect(b.normalizedQuery == "h=2&w=1")
        let c = try spec("format=webp&quality=70&gravity=centre&fit=cover&w=10&h=10")
        let d = try spec("fm=webp&q=70&g=center&w=10&h=10")
        #expect(c.canonicalKey(format: .webp, quality: 70) == d.canonicalKey(format: .webp, quality: 70))
        #expect(c.canonicalKey(format: .webp, quality: 70) == "w=10&h=10&fit=cover&g=center&fm=webp&q=70")
    }

    @Test func dprFoldsIntoDevicePixels() throws {
        let a = try spec("w=640&dpr=2")
        let b = try spec("w=1280")
        #expect(a.targetWidth == 1280)
        #expect(a.canonicalKey(format: .avif, quality: 50) == b.canonicalKey(format: .avif, quality: 50))
        #expect(try spec("w=100&dpr=1.50").normalizedQuery == "dpr=1.5&w=100")
        #expect(try spec("w=100&dpr=2.0").normalizedQuery == "dpr=2&w=100")
        #expect(try spec("w=101&dpr=1.5").targetWidth == 152)
    }

    @Test func fitAndGravityOnlyCountWhenTheyMatter() throws {
        // One dimension: every fit scales to it.
        #expect(try spec("w=100&fit=contain").canonicalKey(format: .png, quality: 1)
            == spec("w=100&fit=cover&g=north").canonicalKey(format: .png, quality: 1))
        // Gravity only for cover.
        #expect(try spec("w=100&h=50&fit=inside&g=north").canonicalKey(format: .jpeg, quality: 80)
            == spec("w=100&h=50&fit=inside").canonicalKey(format: .jpeg, quality: 80))
        #expect(try spec("w=100&h=50&g=north").canonicalKey(format: .jpeg, quality: 80)
            != spec("w=100&h=50").canonicalKey(format: .jpeg, quality: 80))
    }

    @Test func formatsAndDefaults() throws {
        #expect(try spec("fm=jpg").format == .fixed(.jpeg))
        #expect(try spec("format=auto").format == .auto)
        #expect(try spec("w=1").format == nil)
        var auto = ImageOptions()
        auto.autoFormatByDefault = true
        #expect(try spec("w=1", auto).format == .auto)
        #expect(try spec("w=1&fm=png", auto).format == .fixed(.png))
        let s = try spec("w=1")
        #expect(s.fit == .cover && s.gravity == .center && s.dpr == 1 && s.quality == nil)
    }

    @Test(arguments: [
        ("w=0", "w"), ("w=-1", "w"), ("w=abc", "w"), ("w=8193", "w"), ("w=1.5", "w"), ("w=", "w"),
        ("h=0", "h"), ("height=99999999", "h"),
        ("fit=crop", "fit"), ("g=top", "gravity"), ("gravity=smart", "gravity"),
        ("fm=gif", "format"), ("format=tiff", "format"),
        ("q=0", "quality"), ("q=101", "quality"), ("quality=high", "quality"),
        ("dpr=0.5", "dpr"), ("dpr=5", "dpr"), ("dpr=1.2345", "dpr"), ("dpr=x", "dpr"), ("dpr=1.", "dpr"),
        ("w=10&blur=5", "blur"), ("w=10&W=5", "W"), ("w=1&width=2", "w"), ("s=a&s=b", "s"),
        ("preset=nope", "preset"), ("w=5000&dpr=2", "w"),
    ])
    func badParametersAre400sNamingThem(query: String, name: String) {
        let e = error(query)
        #expect(e?.status == 400, "\(query)")
        #expect(e?.message.hasPrefix(name + ":") == true, "\(query): \(e?.message ?? "no error")")
    }

    @Test func percentEncodingIsDecodedOnce() throws {
        #expect(try spec("w=%31%30").width == 10)
        #expect(error("w=%zz")?.status == 400)
        #expect(error("w=%2531")?.message.hasPrefix("w:") == true)
    }

    @Test func allowedWidths() throws {
        var o = ImageOptions()
        o.allowedWidths = [320, 640]
        #expect(try spec("w=640", o).width == 640)
        #expect(error("w=641", o)?.message == "w: must be one of 320, 640")
        #expect(try spec("h=100", o).height == 100)
        #expect(try spec("w=320&dpr=2", o).targetWidth == 640)
        #expect(error("w=320&dpr=1.5", o)?.message == "w: must be one of 320, 640 (after dpr)")
    }

    @Test func presetsApplyFirstAndAreSignedByName() throws {
        var o = ImageOptions()
        o.presets["thumb"] = [("w", "200"), ("h", "200"), ("fit", "cover"), ("q", "60")]
        let s = try spec("preset=thumb&q=70", o)
        #expect(s.width == 200 && s.height == 200 && s.quality == 70)
        #expect(s.normalizedQuery == "preset=thumb&q=70")
        #expect(s.signingPayload(path: "/a.jpg") == "/a.jpg?preset=thumb&q=70")
        #expect(try spec("fm=auto", o).signingPayload(path: "/a.jpg") == "/a.jpg?fm=auto")
    }
}
