import CWharfVips

/// The status of a failed computation. libvips is lazy: pixels are decoded inside whichever
/// step first needs them (the save, or smartcrop's render), so a failure there is the
/// deadline, the source's pixel data or the encoder. The clock and a decode of the source
/// alone tell which; libvips' error text is process-wide and is only logged.
enum Failure {
    static func classify(source: [UInt8], frames: Int = 1, deadline: Int64?, encoderMessage: String) -> ImageError {
        let detail = Vips.takeError()
        // libvips clears its kill flag when it reports it, so the clock decides.
        if let deadline, wharf_vips_monotonic_us() >= deadline {
            return ImageError(status: 503, message: "image transform timed out", detail: detail)
        }
        let decodes = source.withUnsafeBytes { wharf_vips_decodes($0.baseAddress, $0.count, Int32(frames)) != 0 }
        if !decodes {
            return ImageError(status: 422, message: "source image data is corrupt or truncated", detail: detail)
        }
        return ImageError(status: 500, message: encoderMessage, detail: detail)
    }
}
