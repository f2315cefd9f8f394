import WharfHTTP

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

    public init() {}

    public static let defaultFingerprint: [GlobPattern] = [
        "*.{css,js,mjs,map,json,wasm}", "*.{woff,woff2,ttf,otf,eot}",
        "*.{png,jpg,jpeg,gif,webp,avif,svg}", "*.{mp4,webm,m4a,mp3,ogg,vtt}",
    ].map { try! GlobPattern($0) }
    public static let defaultExclude: [GlobPattern] = [
        "*.{html,htm}", "/robots.txt", "/favicon.ico", "/.well-known/**", "/asset-manifest.json", "/site.webmanifest",
        "/manifest.json", "/sw.js", "/service-worker.js",
    ].map { try! GlobPattern($0) }

    /// Everything that decides output bytes besides the sources, as one string for the manifest.
    var outputSettings: String {
        "v1 br=q11w24 gz=9 ratio=\(compressMinRatio) min=\(compressMinBytes) fp=\(fingerprint.map(\.pattern)) ex=\(fingerprintExclude.map(\.pattern))"
    }

    func fingerprints(_ path: String) -> Bool {
        fingerprint.contains { $0.matches(path) } && !fingerprintExclude.contains { $0.matches(path) }
            && !CachePolicy.isFingerprinted(fileName: String(path.split(separator: "/").last ?? ""))
    }
}
