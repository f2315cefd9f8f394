@testable import WharfMedia

/// Tracks and files built in memory: an H.264 video track and an AAC audio track whose sample
/// data is a counter, so byte-exact round trips can be checked without fixtures.
enum Synthetic {
    /// `stsd` with one `avc1` entry (its `avcC` says High profile, level 3.1).
    static func avcSampleDescriptions(width: Int = 320, height: Int = 180) -> [UInt8] {
        var w = BoxWriter()
        w.fullBox("stsd", version: 0, flags: 0) { w in
            w.u32(1)
            w.box("avc1") { w in
                w.zeros(6); w.u16(1) // reserved, data reference index
                w.zeros(16)
                w.u16(UInt16(width)); w.u16(UInt16(height))
                w.u32(0x0048_0000); w.u32(0x0048_0000); w.u32(0); w.u16(1)
                w.zeros(32); w.u16(0x18); w.u16(0xffff)
                w.box("avcC") { w in w.append([1, 0x64, 0x00, 0x1f, 0xff, 0xe0]) }
            }
        }
        return w.bytes
    }

    /// `stsd` with one `mp4a` entry (AAC-LC, 48 kHz, stereo).
    static func aacSampleDescriptions() -> [UInt8] {
        var w = BoxWriter()
        w.fullBox("stsd", version: 0, flags: 0) { w in
            w.u32(1)
            w.box("mp4a") { w in
                w.zeros(6); w.u16(1)
                w.zeros(8)
                w.u16(2); w.u16(16); w.u16(0); w.u16(0)
                w.u32(48000 << 16)
                w.fullBox("esds", version: 0, flags: 0) { w in
                    w.append([0x03, 25, 0, 1, 0]) // ES descriptor, ES_ID 1, no flags
                    w.append([0x04, 17, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
                    w.append([0x05, 2, 0x11, 0x90]) // AAC-LC (2), 48 kHz (3), 2 channels
                    w.append([0x06, 1, 2])
                }
            }
        }
        return w.bytes
    }

    /// A video track: `frames` frames of `1/fps` s at timescale 15360, a key frame every `gop`.
    static func video(frames: Int, fps: Int = 30, gop: Int = 60, id: UInt32 = 1, firstOffset: UInt64 = 0) -> Track {
        var t = Track(id: id, kind: .video, timescale: 15360, language: 0x55c4, sampleDescriptions: avcSampleDescriptions(),
                      codec: "avc1.64001f")
        t.width = 320
        t.height = 180
        var offset = firstOffset
        for i in 0..<frames {
            let size = UInt32(i % gop == 0 ? 900 : 100 + i % 7)
            t.samples.append(Sample(offset: offset, size: size, duration: UInt32(15360 / fps), compositionOffset: 1024,
                                    isSync: i % gop == 0))
            t.decodeTimes.append(Int64(i * 15360 / fps))
            offset += UInt64(size)
        }
        t.editMediaTime = 1024
        return t
    }

    /// An audio track: `frames` AAC frames of 1024 samples at 48 kHz.
    static func audio(frames: Int, id: UInt32 = 2, firstOffset: UInt64 = 0) -> Track {
        var t = Track(id: id, kind: .audio, timescale: 48000, language: 0x55c4, sampleDescriptions: aacSampleDescriptions(),
                      codec: "mp4a.40.2")
        t.channels = 2
        t.sampleRate = 48000
        var offset = firstOffset
        for i in 0..<frames {
            t.samples.append(Sample(offset: offset, size: 20, duration: 1024, isSync: true))
            t.decodeTimes.append(Int64(i * 1024))
            offset += 20
        }
        return t
    }

    /// Bytes where byte `i` is `i % 251`, enough for the tracks' offsets.
    static func data(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }

    /// A fragmented MP4 (our own init segment and media segments, one after another) of `plan`,
    /// with sample bytes from `source`.
    static func fragmentedFile(_ plan: SegmentPlan, source: any MediaSource) throws -> [UInt8] {
        var out = FragmentWriter.initSegment(tracks: plan.tracks)
        for n in 1...plan.segments.count {
            out += try FragmentWriter.mediaSegment(sequence: UInt32(n), plan: plan, source: source)
        }
        return out
    }
}

extension Synthetic {
    /// A progressive MP4 of one track: `ftyp`, `moov` with full sample tables (one sample per
    /// chunk), `mdat` with the sample bytes from `data` — `moov` first or last. `stszCount`
    /// overrides the sample count `stsz` claims (to make a lying table).
    static func progressiveFile(_ track: Track, data: [UInt8], moovFirst: Bool = true, stszCount: UInt32? = nil) -> [UInt8] {
        var ftyp = BoxWriter()
        ftyp.box("ftyp") { w in w.fourCC("isom"); w.u32(512); w.fourCC("isom"); w.fourCC("avc1") }
        let payload = track.samples.flatMap { data[Int($0.offset)..<Int($0.offset) + Int($0.size)] }
        // Two passes: chunk offsets depend on where mdat lands, which depends on moov's size.
        var moovSize = 0
        var moov: [UInt8] = []
        for _ in 0..<2 {
            let mdatStart = ftyp.bytes.count + (moovFirst ? moovSize : 0) + 8
            moov = moovBox(track, firstOffset: UInt64(mdatStart), stszCount: stszCount)
            moovSize = moov.count
        }
        var mdat = BoxWriter()
        mdat.box("mdat") { w in w.append(payload) }
        return moovFirst ? ftyp.bytes + moov + mdat.bytes : ftyp.bytes + mdat.bytes + moov
    }

    private static func moovBox(_ track: Track, firstOffset: UInt64, stszCount: UInt32?) -> [UInt8] {
        var w = BoxWriter()
        let video = track.kind == .video
        w.box("moov") { w in
            w.fullBox("mvhd", version: 0, flags: 0) { w in
                w.u32(0); w.u32(0); w.u32(1000); w.u32(0); w.u32(0x0001_0000); w.u16(0x0100); w.zeros(10)
                w.unityMatrix(); w.zeros(24); w.u32(track.id + 1)
            }
            w.box("trak") { w in
                w.fullBox("tkhd", version: 0, flags: 3) { w in
                    w.u32(0); w.u32(0); w.u32(track.id); w.u32(0); w.u32(0); w.zeros(8); w.u16(0); w.u16(0)
                    w.u16(video ? 0 : 0x0100); w.u16(0); w.unityMatrix(); w.u32(UInt32(track.width) << 16); w.u32(UInt32(track.height) << 16)
                }
                if track.editMediaTime != 0 {
                    w.box("edts") { w in
                        w.fullBox("elst", version: 0, flags: 0) { w in
                            w.u32(1); w.u32(0); w.u32(UInt32(track.editMediaTime)); w.u32(0x0001_0000)
                        }
                    }
                }
                w.box("mdia") { w in
                    w.fullBox("mdhd", version: 0, flags: 0) { w in
                        w.u32(0); w.u32(0); w.u32(track.timescale); w.u32(UInt32(track.endTime)); w.u16(track.language); w.u16(0)
                    }
                    w.fullBox("hdlr", version: 0, flags: 0) { w in w.u32(0); w.fourCC(video ? "vide" : "soun"); w.zeros(12); w.u8(0) }
                    w.box("minf") { w in
                        w.box("stbl") { w in
                            w.append(track.sampleDescriptions)
                            w.fullBox("stts", version: 0, flags: 0) { w in
                                w.u32(UInt32(track.samples.count))
                                for s in track.samples { w.u32(1); w.u32(s.duration) }
                            }
                            w.fullBox("ctts", version: 0, flags: 0) { w in
                                w.u32(UInt32(track.samples.count))
                                for s in track.samples { w.u32(1); w.i32(s.compositionOffset) }
                            }
                            let syncs = track.samples.indices.filter { track.samples[$0].isSync }
                            w.fullBox("stss", version: 0, flags: 0) { w in
                                w.u32(UInt32(syncs.count))
                                for i in syncs { w.u32(UInt32(i + 1)) }
                            }
                            w.fullBox("stsc", version: 0, flags: 0) { w in w.u32(1); w.u32(1); w.u32(1); w.u32(1) }
                            w.fullBox("stsz", version: 0, flags: 0) { w in
                                w.u32(0)
                                w.u32(stszCount ?? UInt32(track.samples.count))
                                for s in track.samples { w.u32(s.size) }
                            }
                            w.fullBox("co64", version: 0, flags: 0) { w in
                                w.u32(UInt32(track.samples.count))
                                var at = firstOffset
                                for s in track.samples { w.u64(at); at += UInt64(s.size) }
                            }
                        }
                    }
                }
            }
        }
        return w.bytes
    }
}
