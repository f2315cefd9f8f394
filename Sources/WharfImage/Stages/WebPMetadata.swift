/// Removes the EXIF, XMP and ICC chunks from a WebP file (RIFF container) and clears their
/// flags in `VP8X`. libvips 8.14's webpsave writes a fresh EXIF block whatever `strip` says
/// (libvips#3340), so the encode stage strips the container itself.
enum WebPMetadata {
    static let dropped: Set<[UInt8]> = [Array("EXIF".utf8), Array("XMP ".utf8), Array("ICCP".utf8)]
    /// VP8X flag bits of the dropped chunks: ICC 0x20, EXIF 0x08, XMP 0x04.
    static let droppedFlags: UInt8 = 0x20 | 0x08 | 0x04

    /// The file without metadata chunks, or the input unchanged when it is not a WebP it understands.
    static func strip(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 20, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WEBP".utf8) else {
            return bytes
        }
        var out = Array(bytes[0..<12])
        out.reserveCapacity(bytes.count)
        var i = 12
        while i + 8 <= bytes.count {
            let type = Array(bytes[i..<i + 4])
            let size = Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]) << 16 | Int(bytes[i + 7]) << 24
            let end = i + 8 + size + (size & 1)
            guard end <= bytes.count || (end == bytes.count + 1 && size & 1 == 1) else { return bytes }
            let chunkEnd = min(end, bytes.count)
            if !dropped.contains(type) {
                var chunk = Array(bytes[i..<chunkEnd])
                if type.elementsEqual("VP8X".utf8), chunk.count > 8 { chunk[8] &= ~droppedFlags }
                out += chunk
            }
            i = end
        }
        let riffSize = UInt32(out.count - 8)
        out[4] = UInt8(riffSize & 0xff)
        out[5] = UInt8(riffSize >> 8 & 0xff)
        out[6] = UInt8(riffSize >> 16 & 0xff)
        out[7] = UInt8(riffSize >> 24)
        return out
    }
}
