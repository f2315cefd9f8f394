import CZlib

/// One-shot gzip (RFC 1952) through the system zlib. The header carries mtime 0 and no file
/// name, so the same input always gives the same bytes (and so the same strong ETag).
public enum Gzip {
    /// Level used for on-the-fly compression.
    public static let defaultLevel: Int32 = 6
    /// Level for build-time precompression.
    public static let maxLevel: Int32 = 9

    /// Compresses `input` into a gzip member at `level` (1...9).
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper; memLevel 8 is zlib's default.
        var rc = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw CompressionError("gzip: deflateInit2 failed (\(rc))") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
        var out = [UInt8](repeating: 0, count: bound)
        var input = input
        rc = input.withUnsafeMutableBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { throw CompressionError("gzip: deflate failed (\(rc))") }
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }

    /// Decompresses one gzip member, refusing output larger than `limit` bytes.
    public static func decompress(_ input: [UInt8], limit: Int = 256 << 20) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        var rc = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw CompressionError("gzip: inflateInit2 failed (\(rc))") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        try input.withUnsafeMutableBufferPointer { (inBuf) throws(CompressionError) in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    return outBuf.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit { throw CompressionError("gzip: output exceeds \(limit) bytes") }
                if rc == Z_BUF_ERROR && stream.avail_in == 0 { break }
            } while rc == Z_OK
        }
        guard rc == Z_STREAM_END else { throw CompressionError("gzip: corrupt or truncated stream (\(rc))") }
        return output
    }
}
