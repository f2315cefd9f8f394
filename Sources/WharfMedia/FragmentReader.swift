/// Appends the samples of each `moof` (its `traf`/`tfhd`/`tfdt`/`trun` boxes) to the tracks of
/// a fragmented MP4, with `trex` defaults, following ISO/IEC 14496-12 §8.8.
struct FragmentReader {
    private(set) var tracks: [Track]
    let defaults: [UInt32: TrackDefaults]
    let fileSize: UInt64
    var sampleBudget: Int

    init(tracks: [Track], defaults: [UInt32: TrackDefaults], fileSize: UInt64, sampleBudget: Int) {
        self.tracks = tracks
        self.defaults = defaults
        self.fileSize = fileSize
        self.sampleBudget = sampleBudget
    }

    mutating func read(moof: ByteReader, at moofOffset: UInt64) throws(MediaError) {
        var r = moof
        // Where the previous traf's data ended, the default base for the next one without
        // default-base-is-moof (§8.8.7.1).
        var previousEnd = moofOffset
        while let box = try r.nextBox() {
            guard box.type == "traf" else { continue }
            previousEnd = try readTraf(box.body, moofOffset: moofOffset, previousEnd: previousEnd)
        }
    }

    private mutating func readTraf(_ traf: ByteReader, moofOffset: UInt64, previousEnd: UInt64) throws(MediaError) -> UInt64 {
        guard var tfhd = try traf.child("tfhd") else { throw .malformed("a traf has no tfhd") }
        try tfhd.skip(1, "tfhd version")
        let flags = try tfhd.u24("tfhd flags")
        let trackID = try tfhd.u32("tfhd track_ID")
        let d = defaults[trackID] ?? TrackDefaults(trackID: trackID)
        var base = flags & 0x020000 != 0 ? moofOffset : previousEnd
        if flags & 0x01 != 0 { base = try tfhd.u64("base data offset") }
        if flags & 0x02 != 0 {
            let index = try tfhd.u32("sample description index")
            guard index == 1 else { throw .unsupported("track \(trackID) switches to sample description \(index) mid-stream") }
        }
        let defaultDuration = flags & 0x08 != 0 ? try tfhd.u32("default duration") : d.duration
        let defaultSize = flags & 0x10 != 0 ? try tfhd.u32("default size") : d.size
        let defaultFlags = flags & 0x20 != 0 ? try tfhd.u32("default flags") : d.flags
        // Tracks that were skipped (not video or audio) still use the data offsets.
        let index = tracks.firstIndex { $0.id == trackID }

        var decodeTime: Int64?
        if var tfdt = try traf.child("tfdt") {
            let version = try tfdt.u8("tfdt version")
            try tfdt.skip(3, "tfdt flags")
            let raw = version == 1 ? try tfdt.u64("baseMediaDecodeTime") : UInt64(try tfdt.u32("baseMediaDecodeTime"))
            guard raw < Track.maxTime else { throw .malformed("tfdt of track \(trackID) is out of range (\(raw))") }
            decodeTime = Int64(raw)
        }
        var dataEnd = base
        var r = traf
        while let box = try r.nextBox() {
            guard box.type == "trun" else { continue }
            var t = box.body
            let version = try t.u8("trun version")
            let tflags = try t.u24("trun flags")
            let count = try t.u32("trun sample count")
            var at = dataEnd
            if tflags & 0x01 != 0 {
                let offset = Int64(Int32(bitPattern: try t.u32("data offset")))
                // tfhd's base data offset is 64 bits from the file: beyond Int64 it is no offset
                // into any file (found by the mp4 fuzz target, issue #7: it trapped here).
                guard let signedBase = Int64(exactly: base) else {
                    throw .malformed("the base data offset of track \(trackID) is out of range (\(base))")
                }
                let start = signedBase + offset
                guard start >= 0 else { throw .malformed("a trun of track \(trackID) points before the start of the file") }
                at = UInt64(start)
            }
            let firstFlags = tflags & 0x04 != 0 ? try t.u32("first sample flags") : nil
            let perSample = [0x100, 0x200, 0x400, 0x800].filter { tflags & $0 != 0 }.count * 4
            try t.requireEntries(count, of: perSample, "trun")
            guard Int(count) <= sampleBudget else { throw .limit("more than the limit of samples (hls.max_samples)") }
            sampleBudget -= Int(count)
            for i in 0..<count {
                let duration = tflags & 0x100 != 0 ? try t.u32() : defaultDuration
                let size = tflags & 0x200 != 0 ? try t.u32() : defaultSize
                var sampleFlags = tflags & 0x400 != 0 ? try t.u32() : defaultFlags
                if i == 0, let firstFlags { sampleFlags = firstFlags }
                let cto: Int32 = tflags & 0x800 != 0 ? Int32(bitPattern: try t.u32()) : 0
                _ = version
                guard at <= fileSize, UInt64(size) <= fileSize - at else {
                    throw .malformed("a sample of track \(trackID) lies past the end of the file (truncated)")
                }
                if let index {
                    let time = decodeTime ?? tracks[index].endTime
                    guard time < Track.maxTime else { throw .malformed("track \(trackID) runs past any sane duration") }
                    tracks[index].samples.append(Sample(offset: at, size: size, duration: duration, compositionOffset: cto,
                                                        isSync: sampleFlags & 0x0001_0000 == 0))
                    tracks[index].decodeTimes.append(time)
                    decodeTime = time + Int64(duration)
                }
                at += UInt64(size)
            }
            dataEnd = at
        }
        return dataEnd
    }
}
