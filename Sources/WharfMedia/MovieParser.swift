/// Reads an MP4's box structure: the top-level boxes by their headers only (media data is never
/// read), then `moov` and any `moof` boxes in full, bounded by ``MediaLimits``.
struct MovieParser {
    let source: any MediaSource
    let limits: MediaLimits

    /// A top-level box: where it starts, its header length and total size.
    struct TopBox {
        let type: FourCC
        let offset: UInt64
        let headerSize: Int
        let size: UInt64
    }

    func parse() throws(MediaError) -> Movie {
        let boxes = try topLevelBoxes()
        guard let first = boxes.first, first.type == "ftyp" || first.type == "moov" || first.type == "free"
            || first.type == "skip" || first.type == "wide" || first.type == "styp" else {
            throw .malformed("not an MP4 file (no ftyp box at the start)")
        }
        guard let moovBox = boxes.first(where: { $0.type == "moov" }) else {
            throw .malformed("no moov box: the file has no movie header (still being written, or not an MP4)")
        }
        var budget = limits.maxMetadataBytes
        let moov = try load(moovBox, budget: &budget)
        var trex: [UInt32: TrackDefaults] = [:]
        if let mvex = try moov.child("mvex") {
            var r = mvex
            while let box = try r.nextBox() {
                guard box.type == "trex" else { continue }
                let d = try TrackDefaults(trex: box.body)
                trex[d.trackID] = d
            }
        }
        var tracks: [Track] = []
        var sampleBudget = limits.maxSamples
        var r = moov
        while let box = try r.nextBox() {
            guard box.type == "trak" else { continue }
            if let track = try TrackParser.parse(box.body, fileSize: source.size, sampleBudget: &sampleBudget) {
                tracks.append(track)
            }
        }
        let moofs = boxes.filter { $0.type == "moof" }
        let fragmented = !moofs.isEmpty
        if fragmented {
            var fragments = FragmentReader(tracks: tracks, defaults: trex, fileSize: source.size, sampleBudget: sampleBudget)
            for box in moofs {
                try fragments.read(moof: try load(box, budget: &budget), at: box.offset)
            }
            tracks = fragments.tracks
        }
        tracks = tracks.filter { !$0.samples.isEmpty }
        for i in tracks.indices { try tracks[i].validate() }
        guard !tracks.isEmpty else {
            throw .unsupported("no H.264, HEVC or AAC track with samples")
        }
        return Movie(tracks: tracks, fragmented: fragmented)
    }

    /// Every top-level box by its header. A box whose size runs past the end of the file means
    /// the file is truncated.
    func topLevelBoxes() throws(MediaError) -> [TopBox] {
        var boxes: [TopBox] = []
        var offset: UInt64 = 0
        let size = source.size
        while offset < size {
            guard boxes.count < limits.maxTopLevelBoxes else {
                throw .limit("more than \(limits.maxTopLevelBoxes) top-level boxes")
            }
            guard size - offset >= 8 else { throw .malformed("the file ends inside a box header at offset \(offset) (truncated)") }
            let head = try source.read(at: offset, count: Int(min(16, size - offset)))
            var r = ByteReader(head, fileOffset: offset)
            let size32 = try r.u32()
            let type = FourCC(try r.u32())
            var boxSize = UInt64(size32)
            if size32 == 1 {
                guard head.count >= 16 else { throw .malformed("the file ends inside the 64-bit size of \(type) at offset \(offset)") }
                boxSize = try r.u64()
            } else if size32 == 0 {
                boxSize = size - offset
            }
            let header = r.position
            guard boxSize >= UInt64(header) else {
                throw .malformed("box \(type) at offset \(offset) has an impossible size \(boxSize)")
            }
            guard boxSize <= size - offset else {
                throw .malformed("box \(type) at offset \(offset) claims \(boxSize) bytes but the file ends \(size - offset) bytes later (truncated)")
            }
            boxes.append(TopBox(type: type, offset: offset, headerSize: header, size: boxSize))
            offset += boxSize
        }
        return boxes
    }

    /// The body of a top-level box, read into memory within the metadata budget.
    func load(_ box: TopBox, budget: inout Int) throws(MediaError) -> ByteReader {
        let bodySize = box.size - UInt64(box.headerSize)
        guard bodySize <= UInt64(budget) else {
            throw .limit("\(box.type) metadata over \(limits.maxMetadataBytes) bytes (hls.max_metadata_bytes)")
        }
        budget -= Int(bodySize)
        let start = box.offset + UInt64(box.headerSize)
        return ByteReader(try source.read(at: start, count: Int(bodySize)), fileOffset: start)
    }
}

/// `trex` defaults for a track's fragments.
struct TrackDefaults {
    let trackID: UInt32
    let sampleDescriptionIndex: UInt32
    let duration: UInt32
    let size: UInt32
    let flags: UInt32

    init(trex: ByteReader) throws(MediaError) {
        var r = trex
        try r.skip(4, "trex version")
        trackID = try r.u32("trex track_ID")
        sampleDescriptionIndex = try r.u32("trex sample description")
        duration = try r.u32("trex duration")
        size = try r.u32("trex size")
        flags = try r.u32("trex flags")
    }

    init(trackID: UInt32) {
        self.trackID = trackID
        sampleDescriptionIndex = 1
        duration = 0
        size = 0
        flags = 0
    }
}
