import Crypto
import Foundation

/// `asset-manifest.json`: logical names (paths in the source tree) to what the build wrote,
/// with sorted keys and no timestamps, so the same input gives the same bytes.
struct Manifest: Encodable {
    struct Asset: Encodable, Equatable {
        let path: String
        let size: Int
        let sha256: String
        let encodings: [String]
    }

    let assets: [String: Asset]
    /// What the outputs were made with (see ``BuildOptions/outputSettings``): a later build
    /// reuses this tree's files only under the same settings.
    let settings: String

    /// A hash of everything the build produced: changes exactly when an output changes.
    var buildID: String {
        let lines = assets.keys.sorted().map { "\($0) \(assets[$0]!.path) \(assets[$0]!.sha256) \(assets[$0]!.encodings)" }
        return SHA256.hash(data: Array(lines.joined(separator: "\n").utf8)).prefix(8).hex
    }

    enum CodingKeys: String, CodingKey { case buildID = "build_id", assets, settings, version }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(buildID, forKey: .buildID)
        try c.encode(assets, forKey: .assets)
        try c.encode(settings, forKey: .settings)
        try c.encode(1, forKey: .version)
    }

    /// The `settings` of the manifest in the tree at `directory`, if there is one.
    static func settings(inTreeAt directory: String) -> String? {
        guard let data = FileManager.default.contents(atPath: directory + "/asset-manifest.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["settings"] as? String
    }

    func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try e.encode(self)) + [0x0A]
    }
}
