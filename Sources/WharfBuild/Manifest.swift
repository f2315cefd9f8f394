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

    /// A hash of everything the build produced: changes exactly when an output changes.
    var buildID: String {
        let lines = assets.keys.sorted().map { "\($0) \(assets[$0]!.path) \(assets[$0]!.sha256) \(assets[$0]!.encodings)" }
        return SHA256.hash(data: Array(lines.joined(separator: "\n").utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    enum CodingKeys: String, CodingKey { case buildID = "build_id", assets, version }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(buildID, forKey: .buildID)
        try c.encode(assets, forKey: .assets)
        try c.encode(1, forKey: .version)
    }

    func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try e.encode(self)) + [0x0A]
    }
}
