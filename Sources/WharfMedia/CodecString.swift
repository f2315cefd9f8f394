/// RFC 6381 codec strings from sample entries' configuration boxes, as HLS `CODECS` wants them.
enum CodecString {
    /// `avc1.PPCCLL`: profile, compatibility and level bytes of `avcC` (`avc3` entries keep `avc3`).
    static func avc(_ entry: FourCC, avcC: ByteReader) throws(MediaError) -> String {
        var r = avcC
        _ = try r.u8("avcC version")
        let profile = try r.u8("avcC profile")
        let compatibility = try r.u8("avcC compatibility")
        let level = try r.u8("avcC level")
        return "\(entry).\(hex2(profile))\(hex2(compatibility))\(hex2(level))"
    }

    /// `hvc1.<space><profile>.<compatibility, bit-reversed, hex>.<L|H><level>[.<constraint bytes>]`
    /// (ISO/IEC 14496-15 Annex E), trailing zero constraint bytes left out.
    static func hevc(_ entry: FourCC, hvcC: ByteReader) throws(MediaError) -> String {
        var r = hvcC
        _ = try r.u8("hvcC version")
        let b = try r.u8("hvcC profile")
        let space = Int(b >> 6), tier = (b >> 5) & 1, profile = b & 0x1f
        let compatibility = try r.u32("hvcC compatibility flags")
        let constraints = try r.read(6, "hvcC constraint flags")
        let level = try r.u8("hvcC level")
        var reversed: UInt32 = 0
        for i in 0..<32 where compatibility & (1 << i) != 0 { reversed |= 1 << (31 - i) }
        var s = "\(entry).\(["", "A", "B", "C"][space])\(profile).\(String(reversed, radix: 16, uppercase: true)).\(tier == 1 ? "H" : "L")\(level)"
        let kept = constraints.lastIndex(where: { $0 != 0 }).map { constraints[...$0] } ?? []
        for c in kept { s += "." + String(c, radix: 16, uppercase: true) }
        return s
    }

    /// `mp4a.<objectTypeIndication hex>.<audio object type>` from `esds`; only AAC is accepted.
    static func aac(esds: ByteReader) throws(MediaError) -> (codec: String, sampleRate: Int?, channels: Int?) {
        var r = esds
        try r.skip(4, "esds version")
        guard try r.u8("ES descriptor tag") == 0x03 else { throw .malformed("esds does not start with an ES descriptor") }
        _ = try descriptorLength(&r)
        try r.skip(2, "ES_ID")
        let flags = try r.u8("ES flags")
        if flags & 0x80 != 0 { try r.skip(2, "dependsOn_ES_ID") }
        if flags & 0x40 != 0 { try r.skip(Int(try r.u8("URL length")), "URL") }
        if flags & 0x20 != 0 { try r.skip(2, "OCR_ES_ID") }
        guard try r.u8("decoder config tag") == 0x04 else { throw .malformed("esds has no decoder config descriptor") }
        _ = try descriptorLength(&r)
        let objectType = try r.u8("objectTypeIndication")
        // 0x40: MPEG-4 audio; 0x66–0x68: MPEG-2 AAC (Main, LC, SSR).
        guard objectType == 0x40 || (0x66...0x68).contains(objectType) else {
            throw .unsupported("audio codec with object type 0x\(hex2(objectType)) is not supported (AAC is)")
        }
        try r.skip(12, "decoder config")
        guard objectType == 0x40 else { return ("mp4a.\(hex2(objectType))", nil, nil) }
        guard try r.u8("decoder specific info tag") == 0x05 else { return ("mp4a.40.2", nil, nil) }
        let length = try descriptorLength(&r)
        let config = try r.read(min(length, r.remaining), "AudioSpecificConfig")
        guard config.count >= 2 else { throw .malformed("AudioSpecificConfig is too short") }
        var bits = BitReader(config)
        var aot = bits.read(5)
        if aot == 31 { aot = 32 + bits.read(6) }
        let rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
        let index = bits.read(4)
        let rate = index == 15 ? bits.read(24) : (index < rates.count ? rates[index] : 0)
        let channels = bits.read(4)
        return ("mp4a.40.\(aot)", rate > 0 ? rate : nil, channels > 0 ? channels : nil)
    }

    private static func descriptorLength(_ r: inout ByteReader) throws(MediaError) -> Int {
        var length = 0
        for _ in 0..<4 {
            let b = try r.u8("descriptor length")
            length = length << 7 | Int(b & 0x7f)
            if b & 0x80 == 0 { break }
        }
        return length
    }

    static func hex2(_ b: UInt8) -> String {
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }
}

/// MSB-first bit reader; reads past the end give zeros (callers check lengths first).
struct BitReader {
    let bytes: [UInt8]
    var bit = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(_ n: Int) -> Int {
        var v = 0
        for _ in 0..<n {
            let byte = bit / 8
            let b = byte < bytes.count ? Int(bytes[byte] >> (7 - UInt8(bit % 8))) & 1 : 0
            v = v << 1 | b
            bit += 1
        }
        return v
    }
}
