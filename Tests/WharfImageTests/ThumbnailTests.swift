import Foundation
import Testing
@testable import WharfImage

@Suite struct ThumbnailTests {
    func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try [UInt8](Data(contentsOf: url))
    }

    @Test func linksTheSystemLibvips() throws {
        try Vips.initialize()
        #expect(Vips.version.hasPrefix("8."))
    }

    @Test(arguments: ImageFormat.allCases)
    func resizesARealPhotoWithoutUpscaling(format: ImageFormat) throws {
        let jpeg = try fixture("rocket.jpg")
        let out = try Thumbnail.render(jpeg, maxWidth: 200, maxHeight: 200, format: format, quality: 60)
        #expect(out.width == 200)
        #expect(out.height == 133) // 640x427 keeps its aspect ratio
        let magic = Array(out.bytes.prefix(12))
        switch format {
        case .webp: #expect(magic[0..<4] == [0x52, 0x49, 0x46, 0x46] && magic[8..<12] == [0x57, 0x45, 0x42, 0x50])
        case .avif: #expect(Array(magic[4..<12]) == Array("ftypavif".utf8))
        case .jpeg: #expect(magic[0..<2] == [0xFF, 0xD8])
        }
        let big = try Thumbnail.render(jpeg, maxWidth: 5000, maxHeight: 5000, format: format, quality: 60)
        #expect(big.width == 640) // size=down never upscales
    }

    @Test func rejectsNonImagesWithA422() {
        #expect {
            _ = try Thumbnail.render(Array("not an image".utf8), maxWidth: 10, maxHeight: 10, format: .webp, quality: 50)
        } throws: { error in
            (error as? ImageError)?.status == 422
        }
    }
}
