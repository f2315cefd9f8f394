import CWharfVips
import Synchronization

/// The process-wide libvips runtime: started once, with libvips' operation cache disabled.
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

    /// Takes and clears libvips' per-thread error buffer.
    static func takeError() -> String {
        guard let p = wharf_vips_take_error() else { return "" }
        defer { wharf_vips_free(p) }
        return String(cString: p)
    }
}
