import Crypto

/// The strong validator of a representation: SHA-256 over its bytes, first 128 bits in hex.
/// Content-derived, so the same bytes give the same ETag on every replica and every deploy.
public enum ContentHash {
    static let hexDigits = Array("0123456789abcdef".utf8)

    public static func of(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Hashes a file through its descriptor in 1 MiB reads, without holding it in memory.
    public static func of(_ file: OpenFile, size: Int) throws(AssetError) -> String {
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: min(max(size, 1), 1 << 20))
        var offset = 0
        while offset < size {
            let result = chunk.withUnsafeMutableBytes { buf in
                Result { () throws(AssetError) in
                    try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[0..<min(buf.count, size - offset)]), offset: offset)
                }
            }
            let n = try result.get()
            if n == 0 { throw AssetError.changed(file.path) }
            hasher.update(data: chunk[0..<n])
            offset += n
        }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for byte in digest.prefix(16) {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
