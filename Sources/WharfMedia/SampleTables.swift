/// A progressive track's sample tables (`stts`, `ctts`, `stss`, `stsc`, `stsz`/`stz2`,
/// `stco`/`co64`) turned into one ``Sample`` per sample. Every count is checked against the bytes
/// its box holds before anything is allocated, and every sample against the file's size.
enum SampleTables {
    static func read(_ stbl: ByteReader, into track: inout Track, fileSize: UInt64, budget: inout Int) throws(MediaError) {
        let sizes = try sampleSizes(stbl)
        let count = sizes.count
        // A fragmented file's moov has empty tables; its samples come from the fragments.
        guard count > 0 else { return }
        guard count <= budget else { throw .limit("more than the limit of samples (hls.max_samples) in track \(track.id)") }
        budget -= count

        guard let stts = try stbl.child("stts") else { throw .malformed("track \(track.id) has no stts") }
        let durations = try runs(stts, "stts", count: count, track: track.id)
        var offsets = [Int32](repeating: 0, count: count)
        if let ctts = try stbl.child("ctts") {
            var r = ctts
            let version = try r.u8("ctts version")
            try r.skip(3, "ctts flags")
            let entries = try r.u32("ctts entry count")
            try r.requireEntries(entries, of: 8, "ctts")
            var i = 0
            for _ in 0..<entries {
                let n = Int(try r.u32())
                let raw = try r.u32()
                // Version 0 is unsigned in the spec, but writers put negative offsets there too.
                let offset = Int32(bitPattern: raw)
                _ = version
                guard n <= count - i else { throw .malformed("ctts of track \(track.id) covers more samples than the track has") }
                for k in i..<i + n { offsets[k] = offset }
                i += n
            }
        }
        var sync = [Bool](repeating: true, count: count)
        if let stss = try stbl.child("stss") {
            var r = stss
            try r.skip(4, "stss version")
            let entries = try r.u32("stss entry count")
            try r.requireEntries(entries, of: 4, "stss")
            sync = [Bool](repeating: false, count: count)
            for _ in 0..<entries {
                let n = Int(try r.u32())
                guard n >= 1, n <= count else { throw .malformed("stss of track \(track.id) names sample \(n) of \(count)") }
                sync[n - 1] = true
            }
        }
        let offsetsInFile = try sampleOffsets(stbl, sizes: sizes, track: track.id, fileSize: fileSize)

        var samples: [Sample] = []
        samples.reserveCapacity(count)
        var times: [Int64] = []
        times.reserveCapacity(count)
        var t: Int64 = 0
        for i in 0..<count {
            samples.append(Sample(offset: offsetsInFile[i], size: sizes[i], duration: durations[i], compositionOffset: offsets[i], isSync: sync[i]))
            times.append(t)
            t += Int64(durations[i])
        }
        track.samples = samples
        track.decodeTimes = times
    }

    /// `stsz` or `stz2`; empty when the track has none (fragmented input).
    static func sampleSizes(_ stbl: ByteReader) throws(MediaError) -> [UInt32] {
        if var r = try stbl.child("stsz") {
            try r.skip(4, "stsz version")
            let fixed = try r.u32("stsz sample size")
            let count = try r.u32("stsz sample count")
            if fixed != 0 {
                guard count <= 100_000_000 else { throw .limit("stsz claims \(count) samples") }
                return [UInt32](repeating: fixed, count: Int(count))
            }
            try r.requireEntries(count, of: 4, "stsz")
            var sizes: [UInt32] = []
            sizes.reserveCapacity(Int(count))
            for _ in 0..<count { sizes.append(try r.u32()) }
            return sizes
        }
        if var r = try stbl.child("stz2") {
            try r.skip(7, "stz2 header")
            let field = try r.u8("stz2 field size")
            let count = try r.u32("stz2 sample count")
            guard field == 4 || field == 8 || field == 16 else { throw .malformed("stz2 field size \(field)") }
            guard UInt64(count) * UInt64(field) <= UInt64(r.remaining) * 8 else { throw .malformed("stz2 claims more samples than it holds") }
            var sizes: [UInt32] = []
            sizes.reserveCapacity(Int(count))
            var i: UInt32 = 0
            while i < count {
                switch field {
                case 4:
                    let b = try r.u8()
                    sizes.append(UInt32(b >> 4))
                    if i + 1 < count { sizes.append(UInt32(b & 0x0f)) }
                    i += 2
                case 8: sizes.append(UInt32(try r.u8())); i += 1
                default: sizes.append(UInt32(try r.u16())); i += 1
                }
            }
            return sizes
        }
        return []
    }

    /// Expands a run-length table of (count, value) pairs (`stts`) to one value per sample. A
    /// table that covers fewer samples than the track has repeats its last value, as players do.
    static func runs(_ box: ByteReader, _ name: String, count: Int, track: UInt32) throws(MediaError) -> [UInt32] {
        var r = box
        try r.skip(4, "\(name) version")
        let entries = try r.u32("\(name) entry count")
        try r.requireEntries(entries, of: 8, name)
        var out: [UInt32] = []
        out.reserveCapacity(count)
        for _ in 0..<entries {
            let n = Int(try r.u32())
            let v = try r.u32()
            guard n <= count - out.count else { throw .malformed("\(name) of track \(track) covers more samples than the track has") }
            out.append(contentsOf: repeatElement(v, count: n))
        }
        guard let last = out.last else { throw .malformed("\(name) of track \(track) is empty") }
        if out.count < count { out.append(contentsOf: repeatElement(last, count: count - out.count)) }
        return out
    }

    /// Each sample's file offset from `stsc` (samples per chunk) and `stco`/`co64` (chunk offsets).
    static func sampleOffsets(_ stbl: ByteReader, sizes: [UInt32], track: UInt32, fileSize: UInt64) throws(MediaError) -> [UInt64] {
        var chunks: [UInt64] = []
        if var r = try stbl.child("stco") {
            try r.skip(4, "stco version")
            let n = try r.u32("stco entry count")
            try r.requireEntries(n, of: 4, "stco")
            chunks.reserveCapacity(Int(n))
            for _ in 0..<n { chunks.append(UInt64(try r.u32())) }
        } else if var r = try stbl.child("co64") {
            try r.skip(4, "co64 version")
            let n = try r.u32("co64 entry count")
            try r.requireEntries(n, of: 8, "co64")
            chunks.reserveCapacity(Int(n))
            for _ in 0..<n { chunks.append(try r.u64()) }
        } else {
            throw .malformed("track \(track) has no stco or co64")
        }
        guard var stsc = try stbl.child("stsc") else { throw .malformed("track \(track) has no stsc") }
        try stsc.skip(4, "stsc version")
        let entries = try stsc.u32("stsc entry count")
        guard entries > 0 else { throw .malformed("stsc of track \(track) has zero entries") }
        try stsc.requireEntries(entries, of: 12, "stsc")
        var runs: [(firstChunk: Int, perChunk: Int)] = []
        for _ in 0..<entries {
            let first = Int(try stsc.u32())
            let per = Int(try stsc.u32())
            try stsc.skip(4)
            guard first >= 1, runs.last.map({ first > $0.firstChunk }) ?? true else {
                throw .malformed("stsc of track \(track) is not in chunk order")
            }
            runs.append((first, per))
        }
        var offsets: [UInt64] = []
        offsets.reserveCapacity(sizes.count)
        var sample = 0
        for (i, run) in runs.enumerated() {
            let lastChunk = i + 1 < runs.count ? runs[i + 1].firstChunk - 1 : chunks.count
            guard run.firstChunk <= chunks.count || sample == sizes.count else {
                throw .malformed("stsc of track \(track) names chunk \(run.firstChunk) of \(chunks.count)")
            }
            var chunk = run.firstChunk
            while chunk <= min(lastChunk, chunks.count), sample < sizes.count {
                var at = chunks[chunk - 1]
                // Bounded by the samples left, not by stsc's samples-per-chunk: a hostile count of
                // 4 billion would otherwise spin here (found by the mp4 fuzz target, issue #7).
                for _ in 0..<min(run.perChunk, sizes.count - sample) {
                    let size = UInt64(sizes[sample])
                    guard at <= fileSize, size <= fileSize - at else {
                        throw .malformed("sample \(sample + 1) of track \(track) lies past the end of the file (truncated)")
                    }
                    offsets.append(at)
                    at += size
                    sample += 1
                }
                chunk += 1
            }
        }
        guard offsets.count == sizes.count else {
            throw .malformed("track \(track)'s chunks hold \(offsets.count) of its \(sizes.count) samples")
        }
        return offsets
    }
}
