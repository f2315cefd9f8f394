import Crypto
import Foundation
import WharfCompression

/// Compressed siblings kept between builds, outside DIST (CI can keep the directory), named by
/// the SHA-256 of the input and the encoder settings: an unchanged file is never compressed twice.
/// Every result is kept, also one that did not pay, since whether it pays depends on the ratio.
struct CompressionCache: Sendable {
    let directory: String?

    enum Codec: String, Sendable {
        case br = "br-q11-w24"
        case gz = "gz-9"

        func compress(_ bytes: [UInt8]) throws -> [UInt8] {
            switch self {
            case .br: try Brotli.compress(bytes, quality: Brotli.maxQuality, window: Brotli.maxWindow)
            case .gz: try Gzip.compress(bytes, level: 9)
            }
        }
    }

    /// The compressed bytes when they are at most `limit` long, else nil; and whether they came
    /// from the cache.
    func compressed(_ bytes: [UInt8], digest: String, codec: Codec, limit: Double) throws -> (bytes: [UInt8]?, cached: Bool) {
        guard let directory else {
            let c = try codec.compress(bytes)
            return (Double(c.count) <= limit ? c : nil, false)
        }
        let base = directory + "/" + digest.prefix(2) + "/" + digest + "." + codec.rawValue
        if let data = FileManager.default.contents(atPath: base) {
            let c = [UInt8](data)
            return (Double(c.count) <= limit ? c : nil, true)
        }
        let c = try codec.compress(bytes)
        Self.store(Data(c), at: base)
        return (Double(c.count) <= limit ? c : nil, false)
    }

    /// Writes temp + rename; a failure only costs a recompression next time.
    static func store(_ data: Data, at path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, path) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }
}
