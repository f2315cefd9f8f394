import CWharfVips

/// Stage 4, colour: 8-bit sRGB through the embedded ICC profile (or libvips' CMYK profile for
/// CMYK without one), so colours survive the metadata being stripped; alpha flattened onto
/// white for JPEG; then every metadata field (EXIF, XMP, IPTC, ICC) removed, since the pixels
/// are now plain sRGB and the orientation was applied.
enum ColourStage {
    static func run(_ image: VipsImage, format: ImageFormat) throws(ImageError) -> VipsImage {
        var out = try VipsImage.make(ImageError(status: 422, message: "source image colour profile is unusable")) {
            wharf_vips_to_srgb(image.pointer, $0)
        }
        if !format.supportsAlpha, out.hasAlpha {
            let flat = out
            out = try VipsImage.make(ImageError(status: 500, message: "image flatten failed")) {
                wharf_vips_flatten(flat.pointer, $0, 255, 255, 255)
            }
        }
        let coloured = out
        return try VipsImage.make(ImageError(status: 500, message: "image metadata removal failed")) {
            wharf_vips_strip_metadata(coloured.pointer, $0)
        }
    }
}
