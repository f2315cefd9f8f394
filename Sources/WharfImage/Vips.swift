import CWharfVips
import Synchronization

/// The process-wide libvips runtime: started once, with libvips' operation cache disabled,
/// one thread per operation, untrusted loaders blocked.
public enum Vips {
    private static let state = Mutex<Bool>(false)

    /// Starts libvips. Safe to call from any thread, any number of times.
    public static func initialize() throws(ImageError) {
        let failed: Bool = state.withLock { started in
            if started { return false }
            if wharf_vips_init("wharf") != 0 { return true }
            started = true
            return false
        }
        if failed { throw ImageError(status: 500, message: "image library failed to start", detail: takeError()) }
    }

    /// The linked libvips version, e.g. "8.14.1".
    public static var version: String { String(cString: wharf_vips_version()) }

    /// Takes and clears libvips' error buffer. The buffer is process-wide, so under concurrency
    /// the text is best effort (it is only logged, never used to decide a status).
    static func takeError() -> String {
        guard let p = wharf_vips_take_error() else { return "" }
        defer { wharf_vips_free(p) }
        return String(cString: p)
    }
}

/// An owned reference to a libvips image, released when the last Swift reference goes.
final class VipsImage {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { wharf_vips_unref(pointer) }

    var width: Int { Int(wharf_vips_image_width(pointer)) }
    var height: Int { Int(wharf_vips_image_height(pointer)) }
    var hasAlpha: Bool { wharf_vips_image_has_alpha(pointer) != 0 }

    /// Runs a libvips operation producing a new image; a failure becomes `error` with libvips' text as detail.
    static func make(_ error: @autoclosure () -> ImageError,
                     _ op: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws(ImageError) -> VipsImage {
        var out: OpaquePointer? = nil
        let rc = op(&out)
        guard rc == 0, let out else {
            if let out { wharf_vips_unref(out) }
            let e = error()
            throw ImageError(status: e.status, message: e.message, detail: Vips.takeError())
        }
        return VipsImage(out)
    }
}

/// Pixel statistics of an encoded image, decoded by libvips (for checks such as "this
/// screenshot is not blank").
public struct ImageStatistics: Sendable {
    public let width: Int
    public let height: Int
    /// Mean and standard deviation of all pixel values, all bands together (0–255 for 8-bit).
    public let mean: Double
    public let deviation: Double

    public init(_ encoded: [UInt8]) throws(ImageError) {
        try Vips.initialize()
        var w: Int32 = 0, h: Int32 = 0
        var mean = 0.0, deviation = 0.0
        let rc = encoded.withUnsafeBytes { wharf_vips_statistics($0.baseAddress, $0.count, &w, &h, &mean, &deviation) }
        guard rc == 0 else { throw ImageError(status: 422, message: "not a decodable image", detail: Vips.takeError()) }
        self.width = Int(w)
        self.height = Int(h)
        self.mean = mean
        self.deviation = deviation
    }
}
