import Testing
@testable import WharfMedia

/// Writes fMP4 with ``FragmentWriter``, reads it back with the fragmented-input parser, and
/// checks that every sample survives: bytes, durations, decode times, key frames and offsets.
@Suite struct FragmentRoundTripTests {
    static let video = Synthetic.video(frames: 600)
    static let audio = Synthetic.audio(frames: 938, firstOffset: video.samples.last!.offset + UInt64(video.samples.last!.size))
    static let source = BytesMediaSource(Synthetic.data(Int(audio.samples.last!.offset) + 20))
    static let plan = try! Segmenter.plan(Movie(tracks: [video, audio], fragmented: false), targetDuration: 6)

    @Test func samplesSurviveWritingAndReading() throws {
        let file = try Synthetic.fragmentedFile(Self.plan, source: Self.source)
        let movie = try Movie.parse(BytesMediaSource(file))
        #expect(movie.fragmented)
        #expect(movie.tracks.map(\.codec) == ["avc1.64001f", "mp4a.40.2"])
        #expect(movie.tracks[0].width == 320 && movie.tracks[0].height == 180)
        #expect(movie.tracks[1].sampleRate == 48000 && movie.tracks[1].channels == 2)
        for (written, read) in zip(Self.plan.tracks, movie.tracks) {
            #expect(read.samples.count == written.samples.count)
            #expect(read.decodeTimes == written.decodeTimes)
            for (a, b) in zip(written.samples, read.samples) {
                #expect(a.size == b.size && a.duration == b.duration && a.isSync == b.isSync)
                // The edit list's start is folded into the composition offsets.
                #expect(Int64(b.compositionOffset) == Int64(a.compositionOffset) - written.editMediaTime)
                #expect(file[Int(b.offset)..<Int(b.offset) + Int(b.size)] == Self.source.bytes[Int(a.offset)..<Int(a.offset) + Int(a.size)])
            }
        }
        // Repackaging the parsed file gives the same playlist and the same segments.
        let again = try Segmenter.plan(movie, targetDuration: 6)
        #expect(PlaylistWriter.media(again) == PlaylistWriter.media(Self.plan))
        #expect(again.segments.map(\.byteCount) == Self.plan.segments.map(\.byteCount))
    }

    @Test func segmentSizesArePredictedExactly() throws {
        for n in 1...Self.plan.segments.count {
            let bytes = try FragmentWriter.mediaSegment(sequence: UInt32(n), plan: Self.plan, source: Self.source)
            #expect(bytes.count == Self.plan.segments[n - 1].byteCount)
        }
    }

    /// Every prefix of a valid file, and bytes flipped all over it: parsing throws a MediaError or
    /// succeeds, and never crashes or hangs.
    @Test func truncatedAndCorruptedFilesFailCleanly() throws {
        let file = try Synthetic.fragmentedFile(Self.plan, source: Self.source)
        var failures = 0
        for length in stride(from: 0, to: file.count, by: max(1, file.count / 3000)) {
            do { _ = try Movie.parse(BytesMediaSource(Array(file[..<length]))) } catch { failures += 1 }
        }
        #expect(failures > 0)
        var rng = SystemRandomNumberGenerator()
        let metadataEnd = FragmentWriter.initSegment(tracks: Self.plan.tracks).count + 4096
        for _ in 0..<2000 {
            var copy = file
            for _ in 0..<4 { copy[Int.random(in: 0..<metadataEnd, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            if let movie = try? Movie.parse(BytesMediaSource(copy)) {
                _ = try? Segmenter.plan(movie, targetDuration: 6)
            }
        }
    }

    @Test func hostileHeadersAreRefusedWithAReason() {
        func expectMalformed(_ bytes: [UInt8], _ fragment: String) {
            #expect {
                try Movie.parse(BytesMediaSource(bytes))
            } throws: { error in
                guard let e = error as? MediaError else { return false }
                return e.status == 422 && e.message.contains(fragment)
            }
        }
        var w = BoxWriter()
        w.box("ftyp") { $0.fourCC("isom"); $0.u32(0) }
        let ftyp = w.bytes
        expectMalformed([], "no ftyp")
        expectMalformed(ftyp, "no moov")
        expectMalformed(ftyp + [0, 0, 0, 100] + Array("moov".utf8) + [0, 0], "truncated")
        expectMalformed(ftyp + [0, 0, 0, 1] + Array("mdat".utf8) + [0xff, 0, 0, 0, 0, 0, 0, 0], "truncated")
        expectMalformed(ftyp + [0, 0, 0, 3] + Array("free".utf8), "impossible size")
        expectMalformed(Array("GIF89a not an mp4 at all".utf8), "truncated")
    }
}

@Suite struct SegmentPlanCodecTests {
    @Test func aPlanSurvivesEncodingAndDecoding() throws {
        let plan = FragmentRoundTripTests.plan
        let decoded = try SegmentPlanCodec.decode(SegmentPlanCodec.encode(plan))
        #expect(decoded.segments == plan.segments)
        #expect(decoded.targetDuration == plan.targetDuration && decoded.peakBandwidth == plan.peakBandwidth)
        #expect(PlaylistWriter.media(decoded) == PlaylistWriter.media(plan))
        #expect(PlaylistWriter.multivariant([.init(plan: decoded, uri: "i")]) == PlaylistWriter.multivariant([.init(plan: plan, uri: "i")]))
        #expect(FragmentWriter.initSegment(tracks: decoded.tracks) == FragmentWriter.initSegment(tracks: plan.tracks))
        let source = FragmentRoundTripTests.source
        #expect(try FragmentWriter.mediaSegment(sequence: 2, plan: decoded, source: source)
                == FragmentWriter.mediaSegment(sequence: 2, plan: plan, source: source))
    }

    @Test func damagedPlansAreRefusedNotTrusted() {
        let bytes = SegmentPlanCodec.encode(FragmentRoundTripTests.plan)
        for cut in [0, 4, 8, 100, bytes.count / 2, bytes.count - 1] {
            #expect(throws: MediaError.self) { try SegmentPlanCodec.decode(Array(bytes[..<cut])) }
        }
        var wrongVersion = bytes
        wrongVersion[7] = 99
        #expect(throws: MediaError.self) { try SegmentPlanCodec.decode(wrongVersion) }
        for _ in 0..<500 {
            var copy = bytes
            copy[Int.random(in: 0..<copy.count)] = UInt8.random(in: 0...255)
            _ = try? SegmentPlanCodec.decode(copy)
        }
    }
}
