import CWharfVips

/// Output formats the image pipeline can write.
public enum ImageFormat: String, Sendable, CaseIterable {
    case webp, avif, jpeg
}

/// An encoded image and its pixel size.
public struct EncodedImage: Sendable {
    public let bytes: [UInt8]
    public let width: Int
    public let height: Int
    public let format: ImageFormat
}

/// Shrink-on-load resize (never upscaling) and encode, through `vips_thumbnail_buffer`.
/// Blocking: call it from a bounded pool, never from an event loop.
public enum Thumbnail {
    public static func render(
        _ source: [UInt8], maxWidth: Int, maxHeight: Int, format: ImageFormat, quality: Int
    ) throws(ImageError) -> EncodedImage {
        try Vips.initialize()
        var image: OpaquePointer? = nil
        let rc = source.withUnsafeBytes { buf in
            wharf_vips_thumbnail_buffer(buf.baseAddress, buf.count, &image, Int32(maxWidth), Int32(maxHeight))
        }
        guard rc == 0, let image else {
            throw ImageError(status: 422, message: "source is not a decodable image", detail: Vips.takeError())
        }
        defer { wharf_vips_unref(image) }
        var out: UnsafeMutableRawPointer? = nil
        var length = 0
        let q = Int32(max(1, min(100, quality)))
        let saved: Int32
        switch format {
        case .webp: saved = wharf_vips_webpsave_buffer(image, &out, &length, q)
        case .avif: saved = wharf_vips_avifsave_buffer(image, &out, &length, q, 4)
        case .jpeg: saved = wharf_vips_jpegsave_buffer(image, &out, &length, q)
        }
        guard saved == 0, let out else {
            throw ImageError(status: 500, message: "image encoding failed", detail: Vips.takeError())
        }
        defer { wharf_vips_free(out) }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: out, count: length))
        return EncodedImage(
            bytes: bytes, width: Int(wharf_vips_image_width(image)),
            height: Int(wharf_vips_image_height(image)), format: format)
    }
}
