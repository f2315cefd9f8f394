import CWharfVips
import Foundation
import Testing
@testable import WharfImage

/// The libvips pipeline on real photos and synthetic fixtures (see Fixtures/LICENSES.md).
@Suite struct PipelineTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try [UInt8](Data(contentsOf: url))
    }

    let pipeline = ImagePipeline(options: ImageOptions())

    func render(_ name: String, _ query: String, _ format: ImageFormat, options: ImageOptions = ImageOptions()) throws -> EncodedImage {
        let spec = try TransformSpec.resolve(try #require(try TransformQuery.parse(query)), options: options)
        return try ImagePipeline(options: options).render(try Self.fixture(name), spec: spec, format: format)
    }

    /// Decodes with libvips and reads one pixel.
    func pixel(_ bytes: [UInt8], _ x: Int, _ y: Int) throws -> (bands: Int, values: [Double], width: Int, height: Int) {
        // The C helper calls libvips directly: it must be started first (tests run in any order).
        try Vips.initialize()
        var values = [Double](repeating: 0, count: 4)
        var w: Int32 = 0, h: Int32 = 0
        let n = bytes.withUnsafeBytes { buf in
            values.withUnsafeMutableBufferPointer { wharf_vips_decode_pixel(buf.baseAddress, buf.count, Int32(x), Int32(y), $0.baseAddress, &w, &h) }
        }
        try #require(n > 0, "libvips could not decode the output")
        return (Int(n), Array(values.prefix(Int(n))), Int(w), Int(h))
    }

    @Test func linksTheSystemLibvips() throws {
        try Vips.initialize()
        #expect(Vips.version.hasPrefix("8."))
    }

    @Test(arguments: ImageFormat.allCases)
    func formatsHaveTheirMagicBytesAndDecodeBack(format: ImageFormat) throws {
        let out = try render("rocket.jpg", "w=200", format)
        #expect(out.width == 200 && out.height == 133)
        let magic = Array(out.bytes.prefix(12))
        switch format {
        case .webp: #expect(magic[0..<4] == [0x52, 0x49, 0x46, 0x46] && magic[8..<12] == [0x57, 0x45, 0x42, 0x50])
        case .avif: #expect(Array(magic[4..<12]) == Array("ftypavif".utf8))
        case .jpeg: #expect(magic[0..<3] == [0xFF, 0xD8, 0xFF])
        case .png: #expect(magic[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        }
        let decoded = try pixel(out.bytes, 100, 60)
        #expect(decoded.width == 200 && decoded.height == 133)
        #expect(decoded.bands == 3)
    }

    @Test(arguments: [
        ("w=300&h=300&fit=cover", 300, 300), ("w=300&h=300&fit=contain", 300, 300),
        ("w=300&h=300&fit=fill", 300, 300), ("w=300&h=300&fit=inside", 300, 200),
        ("w=300&h=300&fit=outside", 450, 300), ("w=300&h=300&g=attention", 300, 300),
        ("w=300&h=300&g=entropy", 300, 300), ("w=300&h=100&g=north", 300, 100),
        ("h=150", 225, 150), ("w=150&dpr=2", 300, 200),
    ])
    func outputDimensionsForEveryFit(query: String, width: Int, height: Int) throws {
        // rocket.jpg is 640×427.
        let out = try render("rocket.jpg", query, .webp)
        #expect(out.width == width && out.height == height, "\(query): \(out.width)×\(out.height)")
        let decoded = try pixel(out.bytes, 0, 0)
        #expect(decoded.width == width && decoded.height == height)
    }

    @Test func containPadsWithTransparencyOrWhite() throws {
        let webp = try render("rocket.jpg", "w=300&h=300&fit=contain", .webp)
        let top = try pixel(webp.bytes, 150, 2)
        #expect(top.bands == 4 && top.values[3] == 0) // transparent band above the photo
        let jpeg = try render("rocket.jpg", "w=300&h=300&fit=contain", .jpeg)
        let white = try pixel(jpeg.bytes, 150, 2)
        #expect(white.bands == 3 && white.values.allSatisfy { $0 > 240 })
    }

    @Test func exifRotatedInputComesOutUpright() throws {
        // Stored 200×300 with orientation 6; upright it is 300×200, red top-left quarter on blue.
        let out = try render("oriented-marks.jpg", "w=150", .png)
        #expect(out.width == 150 && out.height == 100)
        let topLeft = try pixel(out.bytes, 20, 20).values
        let topRight = try pixel(out.bytes, 130, 20).values
        let bottomLeft = try pixel(out.bytes, 20, 80).values
        #expect(topLeft[0] > 180 && topLeft[2] < 80, "\(topLeft)")
        #expect(topRight[2] > 180 && topRight[0] < 80, "\(topRight)")
        #expect(bottomLeft[2] > 180 && bottomLeft[0] < 80, "\(bottomLeft)")
        // A real photo with orientation 6 keeps the upright (landscape) aspect, and no tag survives.
        let photo = try render("rocket-orientation6.jpg", "w=320", .jpeg)
        #expect(photo.width == 320 && photo.height == 214)
        #expect(!Self.containsExif(photo.bytes))
    }

    static func containsExif(_ bytes: [UInt8]) -> Bool {
        let needle = Array("Exif\0\0".utf8)
        return bytes.indices.dropLast(needle.count).contains { Array(bytes[$0..<$0 + needle.count]) == needle }
    }

    @Test func metadataIsStrippedByDefault() throws {
        #expect(Self.containsExif(try Self.fixture("rocket-orientation6.jpg")))
        for format in ImageFormat.allCases {
            #expect(!Self.containsExif(try render("rocket-orientation6.jpg", "w=100", format).bytes), "\(format)")
        }
    }

    @Test func alphaIsKeptOrFlattenedOntoWhite() throws {
        let png = try render("alpha.png", "w=60", .png)
        #expect(try pixel(png.bytes, 50, 20).values[3] == 0)
        #expect(try pixel(png.bytes, 5, 20).values[3] == 255)
        let jpeg = try render("alpha.png", "w=60", .jpeg)
        let right = try pixel(jpeg.bytes, 50, 20)
        #expect(right.bands == 3 && right.values.allSatisfy { $0 > 240 }, "\(right.values)")
        let left = try pixel(jpeg.bytes, 5, 20).values
        #expect(left[1] > 150 && left[0] < 60)
    }

    @Test func anEmbeddedICCProfileIsHonoured() throws {
        // Stored as Display P3 numbers (184, 50, 41) with the P3 profile; in sRGB it is (200, 30, 30).
        let stored = try pixel(try Self.fixture("p3-profile.png"), 5, 5).values
        #expect(abs(stored[0] - 184) < 3 && abs(stored[1] - 50) < 3)
        for format in [ImageFormat.png, .webp, .jpeg] {
            let out = try render("p3-profile.png", "w=16", format)
            let v = try pixel(out.bytes, 8, 8).values
            #expect(abs(v[0] - 200) <= 6 && abs(v[1] - 30) <= 6 && abs(v[2] - 30) <= 6, "\(format): \(v)")
        }
    }

    @Test func animationIsTheFirstFrameUnlessTheKnobKeepsIt() throws {
        // 3 frames of 60×40: red, green, blue.
        let gif = try Self.fixture("animated.gif")
        #expect(try pipeline.probe(gif).pages == 3)
        let still = try render("animated.gif", "w=30", .webp)
        #expect(still.frames == 1 && still.width == 30 && still.height == 20)
        let first = try pixel(still.bytes, 5, 5).values
        #expect(first[0] > 180 && first[1] < 60, "\(first)")
        var o = ImageOptions()
        o.maxAnimationFrames = 10
        let moving = try render("animated.gif", "w=30", .webp, options: o)
        #expect(moving.frames == 3)
        let back = try ImagePipeline(options: o).probe(moving.bytes)
        #expect(back.pages == 3 && back.width == 30 && back.height == 20)
        o.maxAnimationFrames = 2
        #expect(try render("animated.gif", "w=30", .webp, options: o).frames == 2)
        // Other formats, and crops, keep the first frame.
        o.maxAnimationFrames = 10
        #expect(try render("animated.gif", "w=30", .avif, options: o).frames == 1)
        #expect(try render("animated.gif", "w=30&h=30&fit=cover", .webp, options: o).frames == 1)
        // The pixel limit counts every kept frame.
        o.maxSourcePixels = 60 * 40 * 2
        #expect(try render("animated.gif", "w=30", .webp, options: o).frames == 2)
    }

    @Test func sizeIsNeverUpscaledUnlessAllowed() throws {
        #expect(try render("rocket.jpg", "w=1000", .webp).width == 640)
        var o = ImageOptions()
        o.allowUpscale = true
        #expect(try render("rocket.jpg", "w=1000", .webp, options: o).width == 1000)
    }

    func expectError(_ status: Int, _ bytes: [UInt8], _ query: String = "w=100", sourceCheck: (String) -> Bool = { _ in true }) {
        do {
            let spec = try TransformSpec.resolve(try TransformQuery.parse(query)!, options: ImageOptions())
            _ = try pipeline.render(bytes, spec: spec, format: .webp)
            Issue.record("expected \(status)")
        } catch {
            #expect(error.status == status, "\(error)")
            #expect(sourceCheck(error.message), "\(error.message)")
        }
    }

    @Test func nonImagesCorruptAndTruncatedDataAre422() throws {
        expectError(422, Array("not an image at all".utf8))
        expectError(422, [])
        expectError(422, Array("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>".utf8))
        let jpeg = try Self.fixture("hubble_deep_field.jpg")
        expectError(422, Array(jpeg.prefix(jpeg.count / 2)))
        expectError(422, Array(jpeg.prefix(400)))
        var corrupt = jpeg
        for i in stride(from: 2000, to: corrupt.count - 2, by: 97) { corrupt[i] = 0xFF; corrupt[i + 1] = 0xD9 }
        expectError(422, corrupt)
        let png = try Self.fixture("chelsea.png")
        expectError(422, Array(png.prefix(png.count - 5000)))
    }

    /// A PNG whose header declares `width`×`height` but whose data is a few bytes.
    static func pngBomb(width: UInt32, height: UInt32) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be(UInt32(data.count)) + body + be(crc32(body))
        }
        let ihdr = be(width) + be(height) + [8, 2, 0, 0, 0] // 8-bit RGB
        // A zlib stream of a few zero bytes: far less than the declared image.
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", [])
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    @Test func decompressionBombsAreRefusedFromTheHeader() throws {
        let bomb = Self.pngBomb(width: 100_000, height: 100_000)
        #expect(bomb.count < 100)
        #expect(try Self.fixture("bomb-60000x60000.png") == Self.pngBomb(width: 60_000, height: 60_000))
        let header = try pipeline.probe(Self.pngBomb(width: 3, height: 2))
        #expect(header.width == 3 && header.height == 2)
        let start = ContinuousClock.now
        expectError(422, bomb) { $0.contains("over the limit") }
        // A JPEG whose SOF claims 60000×60000: patch the frame header of a real photo.
        var jpeg = try Self.fixture("rocket.jpg")
        let sof = try #require(jpeg.indices.first { jpeg[$0] == 0xFF && (jpeg[$0 + 1] == 0xC0 || jpeg[$0 + 1] == 0xC2) })
        jpeg[sof + 5] = 0xEA; jpeg[sof + 6] = 0x60; jpeg[sof + 7] = 0xEA; jpeg[sof + 8] = 0x60
        expectError(422, jpeg) { $0.contains("over the limit") }
        // Refused from the header: nothing was decoded (a 10-gigapixel decode would take minutes).
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func sourceByteLimit() throws {
        var o = ImageOptions()
        o.maxSourceBytes = 1000
        #expect(throws: ImageError(status: 422, message: "source image is 112525 bytes, over the limit of 1000")) {
            try ImagePipeline(options: o).probe(try Self.fixture("rocket.jpg"))
        }
    }

    @Test func aTransformPastItsDeadlineIsKilledWith503() throws {
        let spec = try TransformSpec.resolve(try #require(try TransformQuery.parse("w=900")), options: ImageOptions())
        let error = #expect(throws: ImageError.self) {
            _ = try pipeline.render(try Self.fixture("hubble_deep_field.jpg"), spec: spec, format: .avif, timeout: 0)
        }
        #expect(error?.status == 503)
        #expect(error?.message == "image transform timed out")
        // Also when the time goes into smartcrop's render, before the save.
        let smart = try TransformSpec.resolve(try #require(try TransformQuery.parse("w=300&h=300&g=attention")), options: ImageOptions())
        let e2 = #expect(throws: ImageError.self) {
            _ = try pipeline.render(try Self.fixture("hubble_deep_field.jpg"), spec: smart, format: .webp, timeout: 0)
        }
        #expect(e2?.status == 503)
        // And the same transform with time to spare works.
        #expect(try pipeline.render(try Self.fixture("hubble_deep_field.jpg"), spec: spec, format: .avif).width == 900)
    }
}

@Suite struct WebPMetadataTests {
    @Test func dropsMetadataChunksAndFixesSizes() {
        func chunk(_ t: String, _ n: Int) -> [UInt8] {
            Array(t.utf8) + [UInt8(n & 0xff), UInt8(n >> 8), 0, 0] + [UInt8](repeating: 7, count: n + (n & 1))
        }
        var vp8x = chunk("VP8X", 10)
        vp8x[8] = 0x20 | 0x10 | 0x08
        let body = Array("WEBP".utf8) + vp8x + chunk("ICCP", 5) + chunk("VP8 ", 20) + chunk("EXIF", 3)
        let file = Array("RIFF".utf8) + [UInt8(body.count), 0, 0, 0] + body
        let out = WebPMetadata.strip(file)
        #expect(out.count == 12 + 18 + 28)
        #expect(Int(out[4]) == out.count - 8)
        #expect(out[12 + 8] == 0x10) // alpha kept, ICC and EXIF flags cleared
        #expect(Array(out[30..<34]) == Array("VP8 ".utf8))
        #expect(WebPMetadata.strip(Array("not a webp at all, no".utf8)) == Array("not a webp at all, no".utf8))
    }
}
