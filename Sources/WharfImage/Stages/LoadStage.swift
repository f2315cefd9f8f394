import CWharfVips

/// What the source's header says, and the checks made on it before any pixel is decoded.
public struct SourceHeader: Sendable, Equatable {
    /// Stored size of one frame.
    public let width: Int
    public let height: Int
    public let pages: Int
    /// EXIF orientation 1–8.
    public let orientation: Int
    public let hasAlpha: Bool
    public let loader: String

    public init(width: Int, height: Int, pages: Int = 1, orientation: Int = 1, hasAlpha: Bool = false, loader: String = "") {
        self.width = width
        self.height = height
        self.pages = pages
        self.orientation = orientation
        self.hasAlpha = hasAlpha
        self.loader = loader
    }
}

/// Stage 1, load: identifies the bytes and reads the header only, then applies the source
/// limits. A decompression bomb (a small file declaring a huge size) stops here without its
/// pixels ever being allocated.
public enum LoadStage {
    /// Loader classes Wharf feeds request-reachable bytes to (libvips reports the GType name,
    /// e.g. `VipsForeignLoadJpegBuffer`); anything else (SVG, PDF, TIFF, ImageMagick, …) is refused.
    static let allowedLoaders = ["jpeg", "png", "webp", "nsgif", "gif", "heif"].map { "VipsForeignLoad\($0.prefix(1).uppercased() + $0.dropFirst())" }

    static func isAllowed(_ loader: String) -> Bool {
        allowedLoaders.contains { loader.hasPrefix($0) && loader.hasSuffix("Buffer") && loader.count <= $0.count + 6 }
    }

    public static func probe(_ bytes: [UInt8], options: ImageOptions) throws(ImageError) -> SourceHeader {
        try Vips.initialize()
        guard bytes.count <= options.maxSourceBytes else {
            throw ImageError(status: 422, message: "source image is \(bytes.count) bytes, over the limit of \(options.maxSourceBytes)")
        }
        // The loader is known from the first bytes: refuse unwanted ones before they parse anything.
        let found = bytes.withUnsafeBytes { wharf_vips_find_loader($0.baseAddress, $0.count) }
        guard let found else {
            throw ImageError(status: 422, message: "source is not a decodable image", detail: Vips.takeError())
        }
        guard isAllowed(String(cString: found)) else {
            throw ImageError(status: 422, message: "unsupported source image type", detail: String(cString: found))
        }
        var h = WharfVipsHeader()
        let rc = bytes.withUnsafeBytes { wharf_vips_probe_buffer($0.baseAddress, $0.count, &h) }
        guard rc == 0 else {
            throw ImageError(status: 422, message: "source is not a decodable image", detail: Vips.takeError())
        }
        let loader = h.loader.map { String(cString: $0) } ?? ""
        guard isAllowed(loader) else {
            throw ImageError(status: 422, message: "unsupported source image type", detail: loader)
        }
        let header = SourceHeader(width: Int(h.width), height: Int(h.height), pages: max(1, Int(h.pages)),
                                  orientation: Int(h.orientation), hasAlpha: h.has_alpha != 0, loader: loader)
        guard header.width > 0, header.height > 0 else {
            throw ImageError(status: 422, message: "source image has no pixels")
        }
        let pixels = header.width * header.height
        guard pixels <= options.maxSourcePixels else {
            throw ImageError(status: 422, message: "source image is \(header.width)×\(header.height) (\(pixels / 1_000_000) MP), over the limit of \(options.maxSourcePixels / 1_000_000) MP")
        }
        return header
    }
}
