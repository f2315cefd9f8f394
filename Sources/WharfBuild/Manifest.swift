import Crypto
import Foundation
import WharfHTTP

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
    /// A hash of everything the build produced: changes exactly when an output changes.
    public let buildID: String
    /// What the outputs were made with (see ``BuildOptions/outputSettings``): a later build
    /// reuses this tree's files only under the same settings.
    public let settings: String

    public static let fileName = "asset-manifest.json"
    static let version = 2

    static func buildID(of assets: [String: Asset]) -> String {
        var text = ""
        for key in assets.keys.sorted() {
            let a = assets[key]!
            text += key + " " + a.path + " " + a.sha256
            for c in a.encodings.keys.sorted() { text += " " + c + "=" + a.encodings[c]!.sha256 }
            for v in a.variants ?? [] { text += " " + v.path + "=" + v.sha256 }
            if let hls = a.hls { text += " hls=" + hls }
            text += "\n"
        }
        return SHA256.hash(data: Array(text.utf8)).prefix(8).hex
    }

    enum CodingKeys: String, CodingKey { case buildID = "build_id", assets, settings, version }

    init(assets: [String: Asset], settings: String) {
        self.assets = assets
        self.settings = settings
        buildID = Self.buildID(of: assets)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(Int.self, forKey: .version) == Self.version else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c, debugDescription: "unknown manifest version")
        }
        assets = try c.decode([String: Asset].self, forKey: .assets)
        settings = try c.decode(String.self, forKey: .settings)
        buildID = try c.decode(String.self, forKey: .buildID)
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

    /// The file's bytes: sorted keys, one asset per line (diffs between deploys stay readable),
    /// written directly — JSONEncoder took a tenth of an unchanged 10,000-file rebuild.
    func encoded() -> [UInt8] {
        var o = "{\n  \"assets\": {\n"
        let keys = assets.keys.sorted()
        for (i, key) in keys.enumerated() {
            let a = assets[key]!
            var fields: [(String, String)] = [
                ("encodings", "{" + a.encodings.keys.sorted().map { c in
                    JSONText.quote(c) + ": {\"sha256\": " + JSONText.quote(a.encodings[c]!.sha256) + ", \"size\": \(a.encodings[c]!.size)}"
                }.joined(separator: ", ") + "}"),
                ("path", JSONText.quote(a.path)), ("sha256", JSONText.quote(a.sha256)), ("size", String(a.size)),
            ]
            if let h = a.height { fields.append(("height", String(h))) }
            if let w = a.width { fields.append(("width", String(w))) }
            if let hls = a.hls { fields.append(("hls", JSONText.quote(hls))) }
            if let variants = a.variants {
                fields.append(("variants", "[" + variants.map { v in
                    "{\"format\": \(JSONText.quote(v.format)), \"height\": \(v.height), \"path\": \(JSONText.quote(v.path)), "
                        + "\"sha256\": \(JSONText.quote(v.sha256)), \"size\": \(v.size), \"width\": \(v.width)}"
                }.joined(separator: ", ") + "]"))
            }
            fields.sort { $0.0 < $1.0 }
            o += "    " + JSONText.quote(key) + ": {" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
            o += i == keys.count - 1 ? "\n" : ",\n"
        }
        o += "  },\n  \"build_id\": \(JSONText.quote(buildID)),\n  \"settings\": \(JSONText.quote(settings)),\n  \"version\": \(Self.version)\n}\n"
        return Array(o.utf8)
    }
}
