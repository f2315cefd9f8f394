import CWharfVips

/// Stage 3b, crop or pad: the plan's finish step on the scaled image.
enum CropStage {
    static func run(_ image: VipsImage, source: [UInt8], plan: ResizePlan, format: ImageFormat,
                    deadline: Int64) throws(ImageError) -> VipsImage {
        let failed = ImageError(status: 500, message: "image crop failed")
        switch plan.finish {
        case .none:
            return image
        case .crop(let x, let y, let w, let h):
            return try VipsImage.make(failed) {
                wharf_vips_extract_area(image.pointer, $0, Int32(x), Int32(y), Int32(w), Int32(h))
            }
        case .smartCrop(let w, let h, let gravity):
            // VipsInteresting: 2 = entropy, 3 = attention.
            let interesting: Int32 = gravity == .entropy ? 2 : 3
            // smartcrop renders the scaled image first: decoding happens here, not in the save.
            var out: OpaquePointer? = nil
            guard wharf_vips_smartcrop(image.pointer, &out, Int32(w), Int32(h), interesting) == 0, let out else {
                throw Failure.classify(source: source, deadline: deadline, encoderMessage: "image crop failed")
            }
            return VipsImage(out)
        case .pad(let x, let y, let w, let h):
            // Transparent where the format has alpha, white otherwise.
            let transparent: Int32 = format.supportsAlpha ? 1 : 0
            return try VipsImage.make(failed) {
                wharf_vips_embed(image.pointer, $0, Int32(x), Int32(y), Int32(w), Int32(h), transparent, 255, 255, 255)
            }
        }
    }
}
