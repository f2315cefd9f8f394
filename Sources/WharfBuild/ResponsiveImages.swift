import Crypto
import Foundation
import WharfImage

/// Pre-renders an image's responsive variants (widths × formats) with the server's own
/// ``ImagePipeline``, so the bytes are those a transform URL would give and the first visitor
/// never waits for libvips.
///
/// A variant is named `{stem}-{width}w.{hash}.{format}` beside the image's output, where the hash
/// is of everything that decides its bytes (the source's SHA-256, width, format, the pipeline and
/// libvips versions and the encoder settings): the name is known before rendering, so an unchanged
/// rebuild links the previous file without touching libvips, and the name is immutable like any
/// other fingerprint.
struct ResponsiveImages: Sendable {
    let widths: [Int]
    let formats: [ImageFormat]
    let pipeline: ImagePipeline
    let cache: String?

    /// One planned variant.
    struct Planned {
        let width: Int
        let format: ImageFormat
        let key: String
        let outputPath: String
    }

    /// The widths to render for a source `sourceWidth` wide: the configured ones it can fill
    /// (never upscaling), plus its own width when a wider one was asked for — so the widest
    /// variant is the full-resolution one (Eleventy Image does the same).
    func widths(forSourceWidth sourceWidth: Int) -> [Int] {
        var out = widths.filter { $0 <= sourceWidth }
        if widths.contains(where: { $0 > sourceWidth }), !out.contains(sourceWidth) { out.append(sourceWidth) }
        return out.sorted()
    }

    /// The variants of the image whose output is `outputPath` (`/img/cat.3f9a2c1b.jpg`, logical
    /// name `/img/cat.jpg`).
    func plan(logicalPath: String, outputPath: String, sourceDigest: [UInt8], sourceWidth: Int) -> [Planned] {
        let directory = (outputPath as NSString).deletingLastPathComponent
        let stem = ((logicalPath as NSString).lastPathComponent as NSString).deletingPathExtension
        var out: [Planned] = []
        for width in widths(forSourceWidth: sourceWidth) {
            for format in formats {
                let identity = "\(sourceDigest.hex) w=\(width) f=\(format.rawValue) q=\(pipeline.options.defaultQuality(format)) "
                    + "p=\(ImagePipeline.version) vips=\(Vips.version) \(pipeline.options.outputFingerprint)"
                let key = SHA256.hash(data: Array(identity.utf8)).hex
                let name = "\(stem)-\(width)w.\(Builder.fingerprint(of: key)).\(format.fileExtension)"
                out.append(Planned(width: width, format: format, key: key, outputPath: (directory == "/" ? "" : directory) + "/" + name))
            }
        }
        return out
    }

    /// The displayed width and height of a source image (libvips reads only its header).
    func size(of source: [UInt8]) throws(ImageError) -> (width: Int, height: Int) {
        let header = try pipeline.probe(source)
        let plan = try pipeline.plan(header, spec: TransformSpec())
        return (plan.scaledWidth, plan.scaledHeight)
    }

    /// A variant's bytes, from the build cache or rendered (and then cached).
    func render(_ planned: Planned, source: [UInt8]) throws -> (bytes: [UInt8], height: Int, cached: Bool) {
        let cached = cache.map { $0 + "/images/" + planned.key.prefix(2) + "/" + planned.key + "." + planned.format.fileExtension }
        if let cached, let data = FileManager.default.contents(atPath: cached) {
            let bytes = [UInt8](data)
            if let (_, height) = try? size(of: bytes) { return (bytes, height, true) }
        }
        var spec = TransformSpec()
        spec.width = planned.width
        let image = try pipeline.render(source, spec: spec, format: planned.format)
        if let cached { CompressionCache.store(Data(image.bytes), at: cached) }
        return (image.bytes, image.height, false)
    }
}
