/// Reads one `trak`: header, media header, handler, edit list, sample description and, for a
/// progressive file, the sample tables. Tracks that are neither video nor audio (timecode, text,
/// metadata) are skipped; a video or audio codec other than H.264, HEVC or AAC is refused.
enum TrackParser {
    static func parse(_ trak: ByteReader, fileSize: UInt64, sampleBudget: inout Int) throws(MediaError) -> Track? {
        guard let tkhd = try trak.child("tkhd") else { throw .malformed("a trak has no tkhd") }
        guard let mdia = try trak.child("mdia") else { throw .malformed("a trak has no mdia") }
        guard let hdlr = try mdia.child("hdlr") else { throw .malformed("a trak has no hdlr") }
        var h = hdlr
        try h.skip(8, "hdlr header")
        let handler = FourCC(try h.u32("handler type"))
        let kind: Track.Kind
        switch handler {
        case "vide": kind = .video
        case "soun": kind = .audio
        default: return nil
        }
        var t = tkhd
        let version = try t.u8("tkhd version")
        try t.skip(3 + (version == 1 ? 16 : 8), "tkhd times")
        let id = try t.u32("track_ID")
        // ISO/IEC 14496-12: track_ID 0 is not allowed, and the init segment writes the next free
        // id (max + 1) into mvhd, which must fit 32 bits (found by the mp4 fuzz target: ~0 trapped).
        guard id != 0 && id != UInt32.max else { throw .malformed("a track has the invalid track_ID \(id)") }

        guard let mdhd = try mdia.child("mdhd") else { throw .malformed("track \(id) has no mdhd") }
        var m = mdhd
        let mdhdVersion = try m.u8("mdhd version")
        try m.skip(3 + (mdhdVersion == 1 ? 16 : 8), "mdhd times")
        let timescale = try m.u32("mdhd timescale")
        guard timescale > 0 else { throw .malformed("track \(id) has timescale 0") }
        try m.skip(mdhdVersion == 1 ? 8 : 4, "mdhd duration")
        let language = try m.u16("mdhd language")

        guard let stbl = try mdia.child("minf")?.child("stbl") else { throw .malformed("track \(id) has no minf/stbl") }
        guard var stsd = try stbl.child("stsd") else { throw .malformed("track \(id) has no stsd") }
        var track = Track(id: id, kind: kind, timescale: timescale, language: language, sampleDescriptions: [], codec: "")
        track.sampleDescriptions = try stsdBox(stbl)
        try stsd.skip(4, "stsd version")
        let entries = try stsd.u32("stsd entry count")
        guard entries >= 1, let entry = try stsd.nextBox() else { throw .malformed("track \(id) has no sample description") }
        try describe(&track, entry: entry.type, body: entry.body)

        if let elst = try trak.child("edts")?.child("elst") {
            track.editMediaTime = try editMediaTime(elst)
        }
        try SampleTables.read(stbl, into: &track, fileSize: fileSize, budget: &sampleBudget)
        return track
    }

    /// The whole `stsd` box (header included) for the init segment.
    static func stsdBox(_ stbl: ByteReader) throws(MediaError) -> [UInt8] {
        var r = stbl
        while let box = try r.nextBox() {
            if box.type == "stsd" { return Array(r.bytes[box.start..<r.position]) }
        }
        throw .malformed("no stsd")
    }

    /// Codec string and picture size or audio format from the first sample entry.
    static func describe(_ track: inout Track, entry: FourCC, body: ByteReader) throws(MediaError) {
        var r = body
        switch (track.kind, entry) {
        case (.video, "avc1"), (.video, "avc3"), (.video, "hvc1"), (.video, "hev1"):
            try r.skip(24, "visual sample entry")
            track.width = Int(try r.u16("width"))
            track.height = Int(try r.u16("height"))
            try r.skip(50, "visual sample entry")
            let isAVC = entry == "avc1" || entry == "avc3"
            guard let config = try r.child(isAVC ? "avcC" : "hvcC") else {
                throw .malformed("\(entry) sample entry of track \(track.id) has no \(isAVC ? "avcC" : "hvcC")")
            }
            track.codec = isAVC ? try CodecString.avc(entry, avcC: config) : try CodecString.hevc(entry, hvcC: config)
        case (.audio, "mp4a"):
            try r.skip(8, "audio sample entry")
            let version = try r.u16("audio entry version")
            try r.skip(6, "audio sample entry")
            track.channels = Int(try r.u16("channel count"))
            try r.skip(6, "audio sample entry")
            track.sampleRate = Int(try r.u32("sample rate") >> 16)
            // QuickTime sound description versions 1 and 2 carry more fields before the boxes.
            if version == 1 { try r.skip(16, "sound description v1") } else if version == 2 { try r.skip(36, "sound description v2") }
            guard let esds = try r.child("esds") else { throw .malformed("mp4a sample entry of track \(track.id) has no esds") }
            let aac = try CodecString.aac(esds: esds)
            track.codec = aac.codec
            if let rate = aac.sampleRate, track.sampleRate == 0 { track.sampleRate = rate }
            if let channels = aac.channels, track.channels == 0 { track.channels = channels }
        case (.video, _):
            throw .unsupported("video codec \(entry) is not supported (H.264 avc1/avc3 and HEVC hvc1/hev1 are)")
        case (.audio, _):
            throw .unsupported("audio codec \(entry) is not supported (AAC mp4a is)")
        }
    }

    /// The common edit lists: one edit starting at a media time, optionally after an empty edit.
    /// Anything else is ignored (the media plays from its first sample).
    static func editMediaTime(_ elst: ByteReader) throws(MediaError) -> Int64 {
        var r = elst
        let version = try r.u8("elst version")
        try r.skip(3, "elst flags")
        let count = try r.u32("elst entry count")
        try r.requireEntries(count, of: version == 1 ? 20 : 12, "elst")
        for _ in 0..<min(count, 2) {
            let mediaTime: Int64
            if version == 1 {
                try r.skip(8, "segment duration")
                mediaTime = Int64(bitPattern: try r.u64("media time"))
            } else {
                try r.skip(4, "segment duration")
                mediaTime = Int64(Int32(bitPattern: try r.u32("media time")))
            }
            try r.skip(4, "media rate")
            if mediaTime >= 0 { return mediaTime }
        }
        return 0
    }
}
