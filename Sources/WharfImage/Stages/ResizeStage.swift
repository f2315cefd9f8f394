import CWharfVips

/// Stage 3a, resize: `vips_thumbnail_buffer` to the planned size, with shrink-on-load (JPEG and
/// WebP decode at a fraction of their size), sequential access, auto-rotation and
/// `fail_on=error` so that truncated or corrupt data fails instead of coming out grey. With
/// `frames` > 1 the first frames of an animation are loaded and each is scaled to the plan.
enum ResizeStage {
    static func run(_ bytes: [UInt8], plan: ResizePlan, frames: Int = 1) throws(ImageError) -> VipsImage {
        // withUnsafeBytes only rethrows untyped errors: carry the typed one out in a Result.
        let result = bytes.withUnsafeBytes { buf in
            Result { () throws(ImageError) -> VipsImage in
                try VipsImage.make(ImageError(status: 422, message: "source image data is corrupt or truncated")) {
                    wharf_vips_thumbnail_buffer(buf.baseAddress, buf.count, $0, Int32(plan.scaledWidth), Int32(plan.scaledHeight), Int32(frames))
                }
            }
        }
        return try result.get()
    }
}
