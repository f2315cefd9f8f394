/// A segment plan as bytes, so a restarted origin serves a large MP4's playlists without parsing
/// it again. The format is private to this version of the packager (a magic and a version lead
/// it); anything that does not decode cleanly is an error, and the caller parses the MP4 instead.
public enum SegmentPlanCodec {
    static let magic: FourCC = "WHLS"
    static let version: UInt32 = 1

    public static func encode(_ plan: SegmentPlan) -> [UInt8] {
        let samples = plan.tracks.reduce(0) { $0 + $1.samples.count }
        var w = BoxWriter(capacity: 64 + samples * 33 + plan.segments.count * (16 + 8 * plan.tracks.count))
        w.fourCC(magic)
        w.u32(version)
        w.u32(UInt32(plan.minimumTarget))
        w.u32(UInt32(plan.tracks.count))
        for t in plan.tracks {
            w.u32(t.id)
            w.u8(t.kind == .video ? 0 : 1)
            w.u32(t.timescale)
            w.u16(t.language)
            bytes(&w, t.sampleDescriptions)
            bytes(&w, Array(t.codec.utf8))
            for v in [t.width, t.height, t.channels, t.sampleRate] { w.u32(UInt32(clamping: v)) }
            w.u64(UInt64(bitPattern: t.editMediaTime))
            w.u32(UInt32(t.samples.count))
            for (s, time) in zip(t.samples, t.decodeTimes) {
                w.u64(s.offset)
                w.u32(s.size)
                w.u32(s.duration)
                w.i32(s.compositionOffset)
                w.u8(s.isSync ? 1 : 0)
                w.u64(UInt64(bitPattern: time))
            }
        }
        w.u32(UInt32(plan.segments.count))
        for s in plan.segments {
            w.u64(s.duration.bitPattern)
            w.u64(UInt64(s.byteCount))
            for r in s.samples {
                w.u32(UInt32(r.lowerBound))
                w.u32(UInt32(r.upperBound))
            }
        }
        w.u64(checksum(w.bytes[...]))
        return w.bytes
    }

    /// FNV-1a, 64-bit: catches a damaged file (not an attack: the file is the origin's own).
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    public static func decode(_ bytes: [UInt8], limits: MediaLimits = MediaLimits()) throws(MediaError) -> SegmentPlan {
        guard bytes.count >= 8 else { throw .malformed("segment plan is too short") }
        var tail = ByteReader(Array(bytes.suffix(8)))
        guard try tail.u64() == checksum(bytes.dropLast(8)) else { throw .malformed("segment plan checksum mismatch") }
        var r = ByteReader(Array(bytes.dropLast(8)))
        guard FourCC(try r.u32()) == magic, try r.u32() == version else { throw .malformed("not a segment plan of this version") }
        let minimumTarget = Int(try r.u32())
        let trackCount = try r.u32()
        try r.requireEntries(trackCount, of: 40, "tracks")
        var budget = limits.maxSamples
        var tracks: [Track] = []
        for _ in 0..<trackCount {
            let id = try r.u32()
            let kind: Track.Kind = try r.u8() == 0 ? .video : .audio
            let timescale = try r.u32()
            let language = try r.u16()
            let descriptions = try r.read(Int(try r.u32()), "sample descriptions")
            guard let codec = String(validating: try r.read(Int(try r.u32()), "codec"), as: UTF8.self) else {
                throw .malformed("codec is not UTF-8")
            }
            var t = Track(id: id, kind: kind, timescale: timescale, language: language, sampleDescriptions: descriptions, codec: codec)
            t.width = Int(try r.u32())
            t.height = Int(try r.u32())
            t.channels = Int(try r.u32())
            t.sampleRate = Int(try r.u32())
            t.editMediaTime = Int64(bitPattern: try r.u64())
            let count = try r.u32()
            try r.requireEntries(count, of: 29, "samples")
            guard Int(count) <= budget else { throw .limit("too many samples") }
            budget -= Int(count)
            t.samples.reserveCapacity(Int(count))
            t.decodeTimes.reserveCapacity(Int(count))
            for _ in 0..<count {
                let offset = try r.u64(), size = try r.u32(), duration = try r.u32()
                let cto = Int32(bitPattern: try r.u32())
                let sync = try r.u8() == 1
                t.samples.append(Sample(offset: offset, size: size, duration: duration, compositionOffset: cto, isSync: sync))
                t.decodeTimes.append(Int64(bitPattern: try r.u64()))
            }
            guard timescale > 0, !t.samples.isEmpty else { throw .malformed("a track without samples or timescale") }
            try t.validate()
            tracks.append(t)
        }
        let segmentCount = try r.u32()
        try r.requireEntries(segmentCount, of: 16 + 8 * Int(trackCount), "segments")
        var segments: [SegmentPlan.Segment] = []
        var next = [Int](repeating: 0, count: tracks.count)
        for _ in 0..<segmentCount {
            let duration = Double(bitPattern: try r.u64())
            let byteCount = Int(try r.u64())
            var ranges: [Range<Int>] = []
            for t in tracks.indices {
                let lo = Int(try r.u32()), hi = Int(try r.u32())
                // Segments must tile each track's samples in order.
                guard lo == next[t], hi >= lo, hi <= tracks[t].samples.count else { throw .malformed("segment ranges do not tile the samples") }
                next[t] = hi
                ranges.append(lo..<hi)
            }
            guard duration.isFinite, duration >= 0 else { throw .malformed("bad segment duration") }
            segments.append(SegmentPlan.Segment(samples: ranges, duration: duration, byteCount: byteCount))
        }
        guard !segments.isEmpty, r.isAtEnd, next == tracks.map(\.samples.count) else { throw .malformed("segment plan is incomplete") }
        return SegmentPlan(tracks: tracks, segments: segments, minimumTarget: minimumTarget)
    }

    private static func bytes(_ w: inout BoxWriter, _ b: [UInt8]) {
        w.u32(UInt32(b.count))
        w.append(b)
    }
}
