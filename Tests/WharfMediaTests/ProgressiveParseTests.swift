import Foundation
import Testing
@testable import WharfMedia

/// Progressive MP4s (`moov` with sample tables) built in memory and read back.
@Suite struct ProgressiveParseTests {
    static let video = Synthetic.video(frames: 300)
    static let data = Synthetic.data(Int(video.samples.last!.offset) + Int(video.samples.last!.size))

    @Test(arguments: [true, false])
    func sampleTablesAreReadBack(moovFirst: Bool) throws {
        let file = Synthetic.progressiveFile(Self.video, data: Self.data, moovFirst: moovFirst)
        let movie = try Movie.parse(BytesMediaSource(file))
        #expect(!movie.fragmented && movie.tracks.count == 1)
        let t = movie.tracks[0]
        #expect(t.codec == "avc1.64001f" && t.width == 320 && t.height == 180 && t.timescale == 15360)
        #expect(t.editMediaTime == 1024)
        #expect(t.decodeTimes == Self.video.decodeTimes)
        for (a, b) in zip(Self.video.samples, t.samples) {
            #expect(a.size == b.size && a.duration == b.duration && a.isSync == b.isSync && a.compositionOffset == b.compositionOffset)
            #expect(file[Int(b.offset)..<Int(b.offset) + Int(b.size)] == Self.data[Int(a.offset)..<Int(a.offset) + Int(a.size)])
        }
    }

    @Test func aTableClaimingBillionsOfEntriesIsRefusedBeforeAllocating() {
        let file = Synthetic.progressiveFile(Self.video, data: Self.data, stszCount: 0xFFFF_FFF0)
        #expect {
            try Movie.parse(BytesMediaSource(file))
        } throws: { error in
            guard let e = error as? MediaError else { return false }
            return e.status == 422 && e.message.contains("stsz claims 4294967280 entries")
        }
    }

    /// Found by the mp4 fuzz target: a track_ID of 0xFFFFFFFF made the init-segment writer's
    /// next_track_ID (max + 1) overflow and trap, killing the server on one request.
    @Test func anInvalidTrackIDIsA422() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fuzz/corpus/mp4/regression-track-id-max")
        let file = try [UInt8](Data(contentsOf: url))
        #expect {
            try Movie.parse(BytesMediaSource(file))
        } throws: { error in
            guard let e = error as? MediaError else { return false }
            return e.status == 422 && e.message.contains("invalid track_ID")
        }
    }

    @Test func tooManySamplesForTheLimitIsA422() {
        var limits = MediaLimits()
        limits.maxSamples = 100
        #expect {
            try Movie.parse(BytesMediaSource(Synthetic.progressiveFile(Self.video, data: Self.data)), limits: limits)
        } throws: { ($0 as? MediaError)?.message.contains("hls.max_samples") == true }
    }

    @Test func metadataOverTheLimitIsA422() {
        var limits = MediaLimits()
        limits.maxMetadataBytes = 1000
        #expect {
            try Movie.parse(BytesMediaSource(Synthetic.progressiveFile(Self.video, data: Self.data)), limits: limits)
        } throws: { ($0 as? MediaError)?.message.contains("hls.max_metadata_bytes") == true }
    }

    @Test func samplesPastTheEndOfTheFileMeanTruncated() {
        let file = Synthetic.progressiveFile(Self.video, data: Self.data)
        // Keep the moov (it is first) and cut the mdat's header off: its size then runs past the end.
        #expect {
            try Movie.parse(BytesMediaSource(Array(file.dropLast(500))))
        } throws: { ($0 as? MediaError)?.message.contains("truncated") == true }
    }
}
