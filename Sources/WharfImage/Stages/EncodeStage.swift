import CWharfVips

/// Stage 5, encode: the chosen format with metadata stripped. This is where libvips actually
/// decodes and computes (everything before was lazy), so the deadline is armed here: past
/// it, libvips kills the computation and the request gets 503.
enum EncodeStage {
    struct Settings: Sendable {
        var quality: Int
        var webpEffort: Int
        var avifEffort: Int
        var jpegProgressive: Bool
        var pngCompression: Int
    }

    /// - Parameter source: the encoded source, decoded again on failure to tell a broken source
    ///   (422) from an encoder failure (500).
    /// Arms the deadline on `image` (see ``ImagePipeline``): past it, libvips kills the computation.
    static func arm(_ image: VipsImage, deadline: Int64) {
        wharf_vips_set_deadline(image.pointer, deadline)
    }

    static func run(_ image: VipsImage, source: [UInt8], frames: Int = 1, format: ImageFormat, settings: Settings,
                    deadline: Int64?) throws(ImageError) -> [UInt8] {
        var out: UnsafeMutableRawPointer? = nil
        var length = 0
        let q = Int32(max(1, min(100, settings.quality)))
        let rc: Int32
        switch format {
        case .webp: rc = wharf_vips_webpsave_buffer(image.pointer, &out, &length, q, Int32(settings.webpEffort))
        case .avif: rc = wharf_vips_avifsave_buffer(image.pointer, &out, &length, q, Int32(settings.avifEffort))
        case .jpeg: rc = wharf_vips_jpegsave_buffer(image.pointer, &out, &length, q, settings.jpegProgressive ? 1 : 0)
        case .png: rc = wharf_vips_pngsave_buffer(image.pointer, &out, &length, Int32(settings.pngCompression))
        }
        guard rc == 0, let out else {
            if let out { wharf_vips_free(out) }
            throw Failure.classify(source: source, frames: frames, deadline: deadline, encoderMessage: "image encoding failed")
        }
        defer { wharf_vips_free(out) }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: out, count: length))
        return format == .webp ? WebPMetadata.strip(bytes) : bytes
    }
}
