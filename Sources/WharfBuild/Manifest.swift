import Crypto
import Foundation

/// `asset-manifest.json`: logical names (paths in the source tree) to what the build wrote,
/// with sorted keys and no timestamps, so the same input gives the same bytes.
///
/// ```json
/// { "assets": { "img/cat.jpg": { "path": "img/cat.3f9a2c1b.jpg", "size": 48213, "sha256": "…",
///     "encodings": {}, "width": 1200, "height": 800,
///     "variants": [ { "path": "img/cat-320w.8c1d07e2.avif", "format": "avif", "width": 320, … } ] } },
///   "build_id": "…", "settings": "…", "version": 2 }
/// ```
public struct Manifest: Codable, Sendable {
    /// A compressed sibling (`name.br`, `name.gz`).
    public struct Encoding: Codable, Equatable, Sendable {
        public let size: Int
        public let sha256: String
    }

    /// A pre-rendered responsive image.
    public struct Variant: Codable, Equatable, Sendable {
        public let path: String
        public let format: String
        public let width: Int
        public let height: Int
        public let size: Int
        public let sha256: String
    }

    public struct Asset: Codable, Equatable, Sendable {
        /// The output's path from DIST's root (no leading slash).
        public let path: String
        public let size: Int
        /// SHA-256 of the output bytes, hex.
        public let sha256: String
        /// `br` and `gzip` siblings present, by content coding.
        public let encodings: [String: Encoding]
        /// An image's displayed size (after EXIF orientation).
        public var width: Int?
        public var height: Int?
        /// Responsive variants, narrowest first, AVIF before WebP at each width.
        public var variants: [Variant]?
        /// A pre-packaged HLS rendition's master playlist, for an MP4.
        public var hls: String?
    }

    public let assets: [String: Asset]
    /// What the outputs were made with (see ``BuildOptions/outputSettings``): a later build
    /// reuses this tree's files only under the same settings.
    public let settings: String

    public static let fileName = "asset-manifest.json"
    static let version = 2

    /// A hash of everything the build produced: changes exactly when an output changes.
    public var buildID: String {
        var lines: [String] = []
        for key in assets.keys.sorted() {
            let a = assets[key]!
            lines.append("\(key) \(a.path) \(a.sha256) \(a.encodings.keys.sorted().map { "\($0)=\(a.encodings[$0]!.sha256)" })")
            for v in a.variants ?? [] { lines.append("  \(v.path) \(v.sha256)") }
            if let hls = a.hls { lines.append("  \(hls)") }
        }
        return SHA256.hash(data: Array(lines.joined(separator: "\n").utf8)).prefix(8).hex
    }

    enum CodingKeys: String, CodingKey { case buildID = "build_id", assets, settings, version }

    init(assets: [String: Asset], settings: String) {
        self.assets = assets
        self.settings = settings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(Int.self, forKey: .version) == Self.version else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c, debugDescription: "unknown manifest version")
        }
        assets = try c.decode([String: Asset].self, forKey: .assets)
        settings = try c.decode(String.self, forKey: .settings)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(buildID, forKey: .buildID)
        try c.encode(assets, forKey: .assets)
        try c.encode(settings, forKey: .settings)
        try c.encode(Self.version, forKey: .version)
    }

    /// The manifest in the tree at `directory`, if there is a readable one of this version.
    public static func read(inTreeAt directory: String) -> Manifest? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }

    func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try e.encode(self)) + [0x0A]
    }
}
