import WharfHTTP
import WharfImage

/// What `wharf build` does, from flags and `[build]` in `wharf.toml`.
public struct BuildOptions: Sendable {
    /// Files (URL-style paths from the source root, `/css/app.css`) given content-hashed names.
    public var fingerprint: [GlobPattern] = BuildOptions.defaultFingerprint
    /// Never fingerprinted, whatever `fingerprint` says: entry documents and well-known names.
    public var fingerprintExclude: [GlobPattern] = BuildOptions.defaultExclude
    /// A compressed sibling is kept only when at most this fraction of the original's size.
    public var compressMinRatio = 0.8
    /// Files smaller than this are not precompressed (a packet holds them anyway).
    public var compressMinBytes = 256
    /// Files worked on at once.
    public var jobs = 1
    /// Where compressed siblings are kept between builds (outside DIST), or nil for none.
    public var cacheDirectory: String? = ".wharf-cache/build"
    /// Missing references and reference cycles fail the build instead of being reported.
    public var strict = false
    /// Images given responsive variants (an empty list: none).
    public var images: [GlobPattern] = BuildOptions.defaultImages
    /// Widths of the variants; never wider than the source.
    public var imageWidths = [320, 640, 960, 1280, 1920]
    /// Formats of the variants, in the order the manifest lists them.
    public var imageFormats: [ImageFormat] = [.avif, .webp]
    /// Quality, effort and limits: the server's `[image]` settings, so both make the same bytes.
    public var imageOptions = ImageOptions()
    /// MP4s packaged into static HLS renditions (none unless configured).
    public var hls: [GlobPattern] = []
    /// Target segment duration of those renditions, seconds.
    public var hlsSegmentDuration = 6.0

    public init() {}

    public static let defaultFingerprint: [GlobPattern] = [
        "*.{css,js,mjs,map,json,wasm}", "*.{woff,woff2,ttf,otf,eot}",
        "*.{png,jpg,jpeg,gif,webp,avif,svg}", "*.{mp4,webm,m4a,mp3,ogg,vtt}",
    ].map { try! GlobPattern($0) }
    public static let defaultExclude: [GlobPattern] = [
        "*.{html,htm}", "/robots.txt", "/favicon.ico", "/.well-known/**", "/asset-manifest.json", "/site.webmanifest",
        "/manifest.json", "/sw.js", "/service-worker.js",
    ].map { try! GlobPattern($0) }

    public static let defaultImages: [GlobPattern] = ["*.{jpg,jpeg,png,webp}"].map { try! GlobPattern($0) }

    /// Everything that decides output bytes besides the sources, as one string for the manifest.
    var outputSettings: String {
        "v2 br=q11w24 gz=9 ratio=\(compressMinRatio) min=\(compressMinBytes) fp=\(fingerprint.map(\.pattern)) ex=\(fingerprintExclude.map(\.pattern))"
            + " img=\(images.map(\.pattern)) w=\(imageWidths) f=\(imageFormats.map(\.rawValue))"
            + " hls=\(hls.map(\.pattern)) seg=\(hlsSegmentDuration) hlsv=\(HLSPackaging.version)"
    }

    func fingerprints(_ path: String) -> Bool {
        fingerprint.contains { $0.matches(path) } && !fingerprintExclude.contains { $0.matches(path) }
            && !CachePolicy.isFingerprinted(fileName: String(path.split(separator: "/").last ?? ""))
    }
}
