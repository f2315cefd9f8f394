/// Writes fMP4 (RFC 8216 §3.3): the init segment (`ftyp` + `moov` with empty sample tables,
/// zero durations and `mvex`/`trex`) and media segments (`moof` + `mdat` holding the source's
/// sample bytes unchanged, one `traf` per track, `tfdt` v1 and `trun` v1 with signed
/// composition offsets).
public enum FragmentWriter {
    public static func initSegment(tracks: [Track]) -> [UInt8] {
        var w = BoxWriter(capacity: 1024)
        w.box("ftyp") { w in
            w.fourCC("iso6")
            w.u32(0)
            for brand: FourCC in ["iso6", "cmfc", "mp41"] { w.fourCC(brand) }
        }
        w.box("moov") { w in
            w.fullBox("mvhd", version: 0, flags: 0) { w in
                w.u32(0); w.u32(0) // creation, modification
                w.u32(1000) // timescale
                w.u32(0) // duration: unknown here, given by the fragments
                w.u32(0x0001_0000) // rate 1.0
                w.u16(0x0100) // volume 1.0
                w.zeros(10)
                w.unityMatrix()
                w.zeros(24) // pre_defined
                w.u32((tracks.map(\.id).max() ?? 0) &+ 1) // next_track_ID; ids are below UInt32.max (TrackParser)
            }
            for track in tracks { trak(&w, track) }
            w.box("mvex") { w in
                for track in tracks {
                    w.fullBox("trex", version: 0, flags: 0) { w in
                        w.u32(track.id)
                        w.u32(1) // sample description index
                        w.u32(0); w.u32(0); w.u32(0) // default duration, size, flags
                    }
                }
            }
        }
        return w.bytes
    }

    private static func trak(_ w: inout BoxWriter, _ track: Track) {
        let video = track.kind == .video
        w.box("trak") { w in
            w.fullBox("tkhd", version: 0, flags: 0x3) { w in // enabled, in movie
                w.u32(0); w.u32(0)
                w.u32(track.id)
                w.u32(0) // reserved
                w.u32(0) // duration
                w.zeros(8)
                w.u16(0) // layer
                w.u16(video ? 0 : 1) // alternate group
                w.u16(video ? 0 : 0x0100) // volume
                w.u16(0)
                w.unityMatrix()
                w.u32(UInt32(track.width) << 16)
                w.u32(UInt32(track.height) << 16)
            }
            w.box("mdia") { w in
                w.fullBox("mdhd", version: 0, flags: 0) { w in
                    w.u32(0); w.u32(0)
                    w.u32(track.timescale)
                    w.u32(0)
                    w.u16(track.language)
                    w.u16(0)
                }
                w.fullBox("hdlr", version: 0, flags: 0) { w in
                    w.u32(0)
                    w.fourCC(video ? "vide" : "soun")
                    w.zeros(12)
                    w.append(Array((video ? "VideoHandler" : "SoundHandler").utf8) + [0])
                }
                w.box("minf") { w in
                    if video {
                        w.fullBox("vmhd", version: 0, flags: 1) { w in w.zeros(8) }
                    } else {
                        w.fullBox("smhd", version: 0, flags: 0) { w in w.zeros(4) }
                    }
                    w.box("dinf") { w in
                        w.fullBox("dref", version: 0, flags: 0) { w in
                            w.u32(1)
                            w.fullBox("url ", version: 0, flags: 1) { _ in } // media in the same file
                        }
                    }
                    w.box("stbl") { w in
                        w.append(track.sampleDescriptions)
                        w.fullBox("stts", version: 0, flags: 0) { w in w.u32(0) }
                        w.fullBox("stsc", version: 0, flags: 0) { w in w.u32(0) }
                        w.fullBox("stsz", version: 0, flags: 0) { w in w.u32(0); w.u32(0) }
                        w.fullBox("stco", version: 0, flags: 0) { w in w.u32(0) }
                    }
                }
            }
        }
    }

    /// Whether a track's samples need the composition offset field.
    static func needsOffsets(_ track: Track, _ range: Range<Int>) -> Bool {
        range.contains { Int64(track.samples[$0].compositionOffset) != track.editMediaTime }
    }

    /// The `moof` of media segment `sequence` (from 1), with data offsets for an `mdat` that
    /// follows it holding each track's samples in turn.
    static func moof(sequence: UInt32, tracks: [Track], samples: [Range<Int>]) -> [UInt8] {
        // The trun data offsets depend on the moof's own size: write it once with zeros to
        // measure, then for real.
        let size = moofBytes(sequence: sequence, tracks: tracks, samples: samples, moofSize: 0).count
        return moofBytes(sequence: sequence, tracks: tracks, samples: samples, moofSize: size)
    }

    private static func moofBytes(sequence: UInt32, tracks: [Track], samples: [Range<Int>], moofSize: Int) -> [UInt8] {
        var w = BoxWriter(capacity: 64 + samples.reduce(0) { $0 + $1.count } * 16)
        let mdatHeader = mdatHeaderSize(tracks: tracks, samples: samples)
        var dataOffset = moofSize + mdatHeader
        w.box("moof") { w in
            w.fullBox("mfhd", version: 0, flags: 0) { w in w.u32(sequence) }
            for (t, track) in tracks.enumerated() where !samples[t].isEmpty {
                let range = samples[t]
                let offsets = needsOffsets(track, range)
                w.box("traf") { w in
                    w.fullBox("tfhd", version: 0, flags: 0x020000) { w in w.u32(track.id) } // default-base-is-moof
                    w.fullBox("tfdt", version: 1, flags: 0) { w in
                        w.u64(UInt64(max(0, track.decodeTimes[range.lowerBound] - track.decodeTimes[0])))
                    }
                    // data-offset, sample duration, size and flags, and composition offsets when needed.
                    w.fullBox("trun", version: 1, flags: 0x000701 | (offsets ? 0x800 : 0)) { w in
                        w.u32(UInt32(range.count))
                        w.i32(Int32(dataOffset))
                        for i in range {
                            let s = track.samples[i]
                            w.u32(s.duration)
                            w.u32(s.size)
                            // sample_depends_on 2 (a key frame) or 1 plus is_non_sync.
                            w.u32(s.isSync ? 0x0200_0000 : 0x0101_0000)
                            if offsets {
                                let cto = Int64(s.compositionOffset) - track.editMediaTime
                                w.i32(Int32(clamping: cto))
                            }
                        }
                    }
                }
                dataOffset += range.reduce(0) { $0 + Int(track.samples[$1].size) }
            }
        }
        return w.bytes
    }

    static func mdatPayload(tracks: [Track], samples: [Range<Int>]) -> Int {
        tracks.indices.reduce(0) { total, t in total + samples[t].reduce(0) { $0 + Int(tracks[t].samples[$1].size) } }
    }

    static func mdatHeaderSize(tracks: [Track], samples: [Range<Int>]) -> Int {
        mdatPayload(tracks: tracks, samples: samples) + 8 > Int(UInt32.max) ? 16 : 8
    }

    /// Bytes of a media segment: its `moof` plus the `mdat`.
    static func segmentSize(tracks: [Track], samples: [Range<Int>]) -> Int {
        moof(sequence: 1, tracks: tracks, samples: samples).count + mdatHeaderSize(tracks: tracks, samples: samples)
            + mdatPayload(tracks: tracks, samples: samples)
    }

    /// Media segment `sequence` (from 1): `moof`, then `mdat` with the samples read from `source`
    /// (adjacent samples in one read).
    public static func mediaSegment(sequence: UInt32, plan: SegmentPlan, source: any MediaSource) throws(MediaError) -> [UInt8] {
        let segment = plan.segments[Int(sequence) - 1]
        let tracks = plan.tracks
        var out = moof(sequence: sequence, tracks: tracks, samples: segment.samples)
        let payload = mdatPayload(tracks: tracks, samples: segment.samples)
        out.reserveCapacity(out.count + 16 + payload)
        var w = BoxWriter(capacity: 16)
        if mdatHeaderSize(tracks: tracks, samples: segment.samples) == 16 {
            w.u32(1); w.fourCC("mdat"); w.u64(UInt64(payload + 16))
        } else {
            w.u32(UInt32(payload + 8)); w.fourCC("mdat")
        }
        out.append(contentsOf: w.bytes)
        for (t, track) in tracks.enumerated() {
            var i = segment.samples[t].lowerBound
            while i < segment.samples[t].upperBound {
                let start = track.samples[i].offset
                var length = UInt64(track.samples[i].size)
                var j = i + 1
                while j < segment.samples[t].upperBound, track.samples[j].offset == start + length {
                    length += UInt64(track.samples[j].size)
                    j += 1
                }
                out.append(contentsOf: try source.read(at: start, count: Int(length)))
                i = j
            }
        }
        return out
    }
}
