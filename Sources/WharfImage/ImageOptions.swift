/// Everything the image pipeline can be told (the `images.*` keys of `wharf.toml`). Every
/// limit has a default.
public struct ImageOptions: Sendable {
    /// Largest source in pixels (all loaded frames together), read from the header before decoding.
    public var maxSourcePixels = 50_000_000
    /// Largest source file in bytes.
    public var maxSourceBytes = 64 * 1024 * 1024
    /// Largest output width or height (after `dpr`).
    public var maxOutputDimension = 8192
    /// When not empty, `w` must be one of these.
    public var allowedWidths: [Int] = []
    /// Whether outputs may be larger than the source. Off: sizes are capped at the source's.
    public var allowUpscale = false
    /// Treat a plain image request (no parameters) as `format=auto`.
    public var autoFormatByDefault = false
    /// Frames of an animated GIF/WebP source kept in WebP output (resizes without crop or pad);
    /// 1 = the first frame only, for every format.
    public var maxAnimationFrames = 1
    /// Default qualities per format when the URL gives none.
    public var jpegQuality = 80
    public var webpQuality = 80
    public var avifQuality = 50
    /// Encoder effort: WebP 0–6, AVIF 0–9 (libaom; see the README for the measured trade-off).
    public var webpEffort = 4
    public var avifEffort = 2
    public var jpegProgressive = true
    /// zlib level for PNG, 0–9.
    public var pngCompression = 6
    /// Seconds a transform may run before it is killed (503).
    public var timeout = 10.0
    /// Named parameter sets: `preset=NAME` applies them before the URL's own parameters.
    public var presets: [String: [(String, String)]] = [:]
    /// HMAC keys; when any is set, every transform URL must carry a valid `s=`.
    public var signingKeys: [[UInt8]] = []
    /// Length of the HMAC-SHA256 digest kept in `s=` (8–32 bytes).
    public var signatureBytes = 32

    public init() {}

    /// The settings that change output bytes beyond the URL's parameters: part of every
    /// result-cache name, so that changing one (say `allow_upscale`) never serves old files.
    public var outputFingerprint: String {
        "up=\(allowUpscale ? 1 : 0)&frames=\(maxAnimationFrames)&we=\(webpEffort)&ae=\(avifEffort)"
            + "&prog=\(jpegProgressive ? 1 : 0)&png=\(pngCompression)&max=\(maxOutputDimension)"
    }

    public func defaultQuality(_ format: ImageFormat) -> Int {
        switch format {
        case .jpeg: jpegQuality
        case .webp: webpQuality
        case .avif: avifQuality
        case .png: 100
        }
    }
}
