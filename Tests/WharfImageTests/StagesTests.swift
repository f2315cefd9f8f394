import CWharfVips
import Testing
@testable import WharfImage

/// Each pipeline stage on its own, on the fixtures (PipelineTests runs them together).
@Suite struct StagesTests {
    func fixture(_ name: String) throws -> [UInt8] { try PipelineTests.fixture(name) }

    init() throws {
        // The stages and C helpers call libvips directly: it must be started first.
        try Vips.initialize()
    }

    func pixel(_ image: VipsImage, _ x: Int, _ y: Int) throws -> [Double] {
        // Encode losslessly and decode the pixel back.
        var out: UnsafeMutableRawPointer? = nil
        var length = 0
        try #require(wharf_vips_pngsave_buffer(image.pointer, &out, &length, 1) == 0)
        defer { wharf_vips_free(out) }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: out, count: length))
        var values = [Double](repeating: 0, count: 4)
        var w: Int32 = 0, h: Int32 = 0
        let n = bytes.withUnsafeBytes { b in values.withUnsafeMutableBufferPointer {
            wharf_vips_decode_pixel(b.baseAddress, b.count, Int32(x), Int32(y), $0.baseAddress, &w, &h) } }
        try #require(n > 0)
        return Array(values.prefix(Int(n)))
    }

    @Test func loadReadsTheHeaderOnly() throws {
        let h = try LoadStage.probe(try fixture("rocket-orientation6.jpg"), options: ImageOptions())
        #expect(h.width == 427 && h.height == 640 && h.orientation == 6 && h.pages == 1 && !h.hasAlpha)
        #expect(h.loader.hasPrefix("VipsForeignLoadJpeg"))
        #expect(try LoadStage.probe(try fixture("alpha.png"), options: ImageOptions()).hasAlpha)
        #expect(try LoadStage.probe(try fixture("animated.gif"), options: ImageOptions()).pages == 3)
    }

    @Test func orientSwapsForOrientations5To8() {
        for o in 1...8 {
            let size = OrientStage.displayedSize(SourceHeader(width: 30, height: 20, orientation: o))
            #expect(o >= 5 ? (size.width == 20 && size.height == 30) : (size.width == 30 && size.height == 20), "\(o)")
        }
    }

    @Test func resizeScalesToThePlanAndRotates() throws {
        let plan = ResizePlan(scaledWidth: 150, scaledHeight: 100)
        let image = try ResizeStage.run(try fixture("oriented-marks.jpg"), plan: plan)
        #expect(image.width == 150 && image.height == 100)
        let topLeft = try pixel(image, 10, 10)
        #expect(topLeft[0] > 180 && topLeft[2] < 80) // red quarter, upright
    }

    @Test func cropAndPad() throws {
        let source = try fixture("rocket.jpg")
        // Sources load sequentially (read once), so each step gets a freshly scaled image.
        func scaled() throws -> VipsImage { try ResizeStage.run(source, plan: ResizePlan(scaledWidth: 300, scaledHeight: 200)) }
        let deadline = wharf_vips_monotonic_us() + 10_000_000
        let crop = ResizePlan(scaledWidth: 300, scaledHeight: 200, finish: .crop(x: 50, y: 0, width: 200, height: 200))
        let cropped = try CropStage.run(try scaled(), source: source, plan: crop, format: .webp, deadline: deadline)
        #expect(cropped.width == 200 && cropped.height == 200)
        let smart = ResizePlan(scaledWidth: 300, scaledHeight: 200, finish: .smartCrop(width: 120, height: 200, gravity: .attention))
        let smartCropped = try CropStage.run(try scaled(), source: source, plan: smart, format: .webp, deadline: deadline)
        #expect(smartCropped.width == 120 && smartCropped.height == 200)
        let pad = ResizePlan(scaledWidth: 300, scaledHeight: 200, finish: .pad(x: 0, y: 50, width: 300, height: 300))
        let transparent = try CropStage.run(try scaled(), source: source, plan: pad, format: .png, deadline: deadline)
        #expect(transparent.width == 300 && transparent.height == 300 && transparent.hasAlpha)
        #expect(try pixel(transparent, 150, 10)[3] == 0)
        let white = try CropStage.run(try scaled(), source: source, plan: pad, format: .jpeg, deadline: deadline)
        let whitePixel = try pixel(white, 150, 10)
        #expect(!white.hasAlpha && whitePixel.allSatisfy { $0 == 255 })
    }

    @Test func colourConvertsToSRGBFlattensAndStrips() throws {
        let p3 = try ResizeStage.run(try fixture("p3-profile.png"), plan: ResizePlan(scaledWidth: 32, scaledHeight: 32))
        #expect(wharf_vips_image_has_icc(p3.pointer) != 0)
        let srgb = try ColourStage.run(p3, format: .png)
        #expect(wharf_vips_image_has_icc(srgb.pointer) == 0)
        let v = try pixel(srgb, 4, 4)
        #expect(abs(v[0] - 200) <= 4 && abs(v[1] - 30) <= 4 && abs(v[2] - 30) <= 4, "\(v)")
        let alpha = try ResizeStage.run(try fixture("alpha.png"), plan: ResizePlan(scaledWidth: 120, scaledHeight: 80))
        #expect(try ColourStage.run(alpha, format: .png).hasAlpha)
        let flat = try ColourStage.run(alpha, format: .jpeg)
        let flatPixel = try pixel(flat, 100, 40)
        #expect(!flat.hasAlpha && flatPixel.allSatisfy { $0 == 255 })
    }

    @Test func anSRGBProfileIsDroppedWithoutATransform() throws {
        // hubble_deep_field.jpg embeds "sRGB IEC61966-2.1": its pixels are sRGB already.
        let source = try fixture("hubble_deep_field.jpg")
        let plan = ResizePlan(scaledWidth: 100, scaledHeight: 87)
        let before = try pixel(try ResizeStage.run(source, plan: plan), 50, 40)
        let colour = try ColourStage.run(try ResizeStage.run(source, plan: plan), format: .png)
        #expect(wharf_vips_image_has_icc(colour.pointer) == 0)
        #expect(try pixel(colour, 50, 40) == before) // exactly: copied, not transformed
    }

    @Test func encodeWritesEachFormat() throws {
        let source = try fixture("rocket.jpg")
        let settings = EncodeStage.Settings(quality: 60, webpEffort: 4, avifEffort: 2, jpegProgressive: true, pngCompression: 6)
        let magic: [ImageFormat: [UInt8]] = [
            .jpeg: [0xFF, 0xD8, 0xFF], .png: [0x89, 0x50, 0x4E, 0x47], .webp: Array("RIFF".utf8),
        ]
        for format in ImageFormat.allCases {
            let image = try ResizeStage.run(source, plan: ResizePlan(scaledWidth: 64, scaledHeight: 43))
            let bytes = try EncodeStage.run(image, source: source, format: format, settings: settings, deadline: nil)
            if let m = magic[format] { #expect(Array(bytes.prefix(m.count)) == m, "\(format)") }
            if format == .avif { #expect(Array(bytes[4..<12]) == Array("ftypavif".utf8)) }
        }
    }
}
