import Testing
@testable import WharfMedia

@Suite struct SegmenterTests {
    @Test func cutsAtKeyFramesNearestTheTarget() throws {
        let movie = Movie(tracks: [Synthetic.video(frames: 600), Synthetic.audio(frames: 938)], fragmented: false)
        let plan = try Segmenter.plan(movie, targetDuration: 6)
        #expect(plan.segments.map(\.duration).dropLast() == [6, 6, 6])
        #expect(plan.targetDuration == 6)
        // EXTINFs add up to the video's duration; the last segment also holds the audio's tail.
        let total = plan.segments.reduce(0) { $0 + $1.duration }
        #expect(abs(total - 20) < 1e-9)
        // Every sample in exactly one segment, none empty.
        for t in plan.tracks.indices {
            #expect(plan.segments.map { $0.samples[t].count }.reduce(0, +) == plan.tracks[t].samples.count)
            #expect(plan.segments.allSatisfy { !$0.samples[t].isEmpty })
        }
        // Segments start with a key frame; audio is cut within one frame of the video cut.
        for s in plan.segments.dropFirst() {
            let v = plan.tracks[0], a = plan.tracks[1]
            #expect(v.samples[s.samples[0].lowerBound].isSync)
            let videoStart = Double(v.decodeTimes[s.samples[0].lowerBound]) / 15360
            let audioStart = Double(a.decodeTimes[s.samples[1].lowerBound]) / 48000
            #expect(audioStart >= videoStart && audioStart - videoStart < 1024 / 48000.0)
        }
    }

    @Test func aLongGOPMakesLongerSegmentsAndTargetDuration() throws {
        let plan = try Segmenter.plan(Movie(tracks: [Synthetic.video(frames: 600, gop: 240)], fragmented: false), targetDuration: 6)
        #expect(plan.segments.map(\.duration) == [8, 8, 4])
        #expect(plan.targetDuration == 8)
    }

    @Test func aTrailingKeyFrameDoesNotMakeATinySegment() throws {
        // 601 frames with a key frame on the last one: 1/30 s after the cut at 20 s.
        let plan = try Segmenter.plan(Movie(tracks: [Synthetic.video(frames: 601, gop: 60)], fragmented: false), targetDuration: 6)
        #expect(plan.segments.allSatisfy { $0.duration > 0.5 })
        #expect(plan.segments.reduce(0) { $0 + $1.samples[0].count } == 601)
    }

    @Test func theEndOfTheFileCountsAsACutCandidate() throws {
        // Key frames every 2 s: a 24 s file is four 6 s segments, not 6-6-6-4-2 (the end is as
        // near the last goal as any key frame), and a 20 s one ends with the 2 s that is left.
        let plan = try Segmenter.plan(Movie(tracks: [Synthetic.video(frames: 600, gop: 60)], fragmented: false), targetDuration: 6)
        #expect(plan.segments.map(\.duration) == [6, 6, 6, 2])
        let even = try Segmenter.plan(Movie(tracks: [Synthetic.video(frames: 720, gop: 60)], fragmented: false), targetDuration: 6)
        #expect(even.segments.map(\.duration) == [6, 6, 6, 6])
    }

    @Test func noKeyFramesButTheFirstMakesOneSegment() throws {
        let plan = try Segmenter.plan(Movie(tracks: [Synthetic.video(frames: 300, gop: 10_000)], fragmented: false), targetDuration: 6)
        #expect(plan.segments.count == 1 && plan.targetDuration == 10)
    }

    @Test func audioOnlyCutsAnywhere() throws {
        let plan = try Segmenter.plan(Movie(tracks: [Synthetic.audio(frames: 938)], fragmented: false), targetDuration: 6)
        #expect(plan.segments.count == 4)
        #expect(plan.segments.dropLast().allSatisfy { abs($0.duration - 6) < 1024 / 48000.0 })
        #expect(plan.targetDuration == 6)
    }

    @Test func peakBandwidthFollowsTheRFCWindow() {
        // Four 6 s segments, one of them twice as big: windows of 3 to 9 s are single segments.
        let sizes = [1000, 2000, 1000, 1000]
        let segments = sizes.map { SegmentPlan.Segment(samples: [], duration: 6, byteCount: $0) }
        #expect(SegmentPlan.peak(segments, target: 6) == Int((2000.0 * 8 / 6).rounded(.up)))
        // Short segments combine: 1 s segments under a 6 s target are judged in runs of 3 to 9.
        let short = (0..<12).map { SegmentPlan.Segment(samples: [], duration: 1, byteCount: $0 == 5 ? 9000 : 100) }
        #expect(SegmentPlan.peak(short, target: 6) == Int((Double(9000 + 200) * 8 / 3).rounded(.up)))
    }
}
