import CBrotli

/// One-shot Brotli (RFC 7932) through the system libbrotlienc/libbrotlidec.
public enum Brotli {
    /// Quality used for on-the-fly compression: 5 is where brotli stays faster than gzip -6
    /// while still compressing noticeably better.
    public static let fastQuality: Int32 = 5
    /// Quality for build-time precompression.
    public static let maxQuality: Int32 = 11

    /// The largest window RFC 7932 allows (16 MiB): larger ("large window", RFC 9841) streams
    /// are not valid `Content-Encoding: br` and browsers reject them.
    public static let maxWindow: Int32 = 24

    /// Compresses `input` at `quality` (0...11) with a window of 2^`window` bytes (10...24;
    /// the default, 22, is 4 MiB).
    public static func compress(_ input: [UInt8], quality: Int32 = fastQuality, window: Int32 = 22) throws(CompressionError) -> [UInt8] {
        var outSize = BrotliEncoderMaxCompressedSize(input.count)
        if outSize == 0 { outSize = input.count + 1024 } // 0 means "too large to bound"; the encoder then fails cleanly
        var out = [UInt8](repeating: 0, count: outSize)
        let ok = input.withUnsafeBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                BrotliEncoderCompress(
                    quality, min(max(window, 10), maxWindow), BROTLI_MODE_GENERIC,
                    inBuf.count, inBuf.baseAddress, &outSize, outBuf.baseAddress)
            }
        }
        guard ok == BROTLI_TRUE else { throw CompressionError("brotli: compression failed") }
        out.removeSubrange(outSize...)
        return out
    }

    /// Decompresses a complete Brotli stream, refusing output larger than `limit` bytes
    /// (a guard against decompression bombs).
    public static func decompress(_ input: [UInt8], limit: Int = 256 << 20) throws(CompressionError) -> [UInt8] {
        guard let state = BrotliDecoderCreateInstance(nil, nil, nil) else {
            throw CompressionError("brotli: out of memory")
        }
        defer { BrotliDecoderDestroyInstance(state) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var result = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT
        try input.withUnsafeBufferPointer { (inBuf) throws(CompressionError) in
            var availIn = inBuf.count
            var nextIn = inBuf.baseAddress
            repeat {
                var availOut = chunk.count
                let produced: Int = chunk.withUnsafeMutableBufferPointer { outBuf in
                    var nextOut = outBuf.baseAddress
                    result = BrotliDecoderDecompressStream(state, &availIn, &nextIn, &availOut, &nextOut, nil)
                    return outBuf.count - availOut
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit { throw CompressionError("brotli: output exceeds \(limit) bytes") }
            } while result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT
        }
        guard result == BROTLI_DECODER_RESULT_SUCCESS else {
            throw CompressionError("brotli: corrupt or truncated stream")
        }
        return output
    }
}
