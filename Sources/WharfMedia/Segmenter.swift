/// Cuts a movie into segments at the reference track's sync samples (the video track's key
/// frames; every sample of an audio-only movie), each cut at the sync sample nearest to the
/// target duration after the previous one. A long GOP makes a longer segment (and a larger target
/// duration), never a broken one; no segment is empty. Other tracks are cut at the same times.
public enum Segmenter {
    /// Largest segment the writer produces (its `trun` data offsets are 32-bit).
    public static let maxSegmentBytes = 1 << 30

    public static func plan(_ movie: Movie, targetDuration: Double = 6) throws(MediaError) -> SegmentPlan {
        let tracks = movie.tracks.filter { $0.kind == .video && !$0.samples.isEmpty }
            + movie.tracks.filter { $0.kind == .audio && !$0.samples.isEmpty }
        guard let reference = tracks.first else { throw .unsupported("no video or audio samples") }
        let start = reference.decodeTimes[0]
        let target = Int64(targetDuration * Double(reference.timescale))
        var syncs = reference.samples.indices.filter { reference.samples[$0].isSync }
        if syncs.first != 0 { syncs.insert(0, at: 0) }

        // Cut points: indices into the reference track's samples.
        var cuts = [0]
        var s = 0 // position in syncs of the current cut
        while true {
            let goal = reference.decodeTimes[cuts.last!] + target
            // The first sync at or after the goal, and the one before it.
            var lo = s + 1, hi = syncs.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if reference.decodeTimes[syncs[mid]] < goal { lo = mid + 1 } else { hi = mid }
            }
            // Candidates: the nearest sync on either side of the goal; past the last sync the
            // track's end stands in for the later one (ending there means no further cut).
            let after = lo < syncs.count ? reference.decodeTimes[syncs[lo]] : reference.endTime
            var pick: Int? = lo < syncs.count ? lo : nil
            if lo - 1 > s, goal - reference.decodeTimes[syncs[lo - 1]] < after - goal {
                pick = lo - 1
            }
            guard let p = pick else { break }
            cuts.append(syncs[p])
            s = p
        }
        // A last piece shorter than a tenth of the target (a trailing key frame) joins the one before.
        if cuts.count > 1, reference.endTime - reference.decodeTimes[cuts.last!] < target / 10 {
            cuts.removeLast()
        }

        let boundaries = cuts.map { Double(reference.decodeTimes[$0] - start) / Double(reference.timescale) }
        // EXTINFs follow the reference track (Apple 8.1: within a video frame of the video's
        // duration); the last segment also carries any audio that runs on past the video.
        let end = reference.duration
        var segments: [SegmentPlan.Segment] = []
        var firsts = [Int](repeating: 0, count: tracks.count)
        for (k, from) in boundaries.enumerated() {
            let to = k + 1 < boundaries.count ? boundaries[k + 1] : nil
            var ranges: [Range<Int>] = []
            for (t, track) in tracks.enumerated() {
                let last: Int
                if let to {
                    last = t == 0 ? cuts[k + 1] : firstSample(track, atOrAfter: to, from: firsts[t])
                } else {
                    last = track.samples.count
                }
                ranges.append(firsts[t]..<last)
                firsts[t] = last
            }
            let duration = (to ?? end) - from
            segments.append(SegmentPlan.Segment(samples: ranges, duration: duration, byteCount: 0))
        }
        for i in segments.indices {
            let payload = FragmentWriter.mdatPayload(tracks: tracks, samples: segments[i].samples)
            guard payload <= maxSegmentBytes else {
                throw .limit("segment \(i + 1) would hold \(payload) bytes: key frames too far apart for this bit rate")
            }
            segments[i].byteCount = FragmentWriter.segmentSize(tracks: tracks, samples: segments[i].samples)
        }
        return SegmentPlan(tracks: tracks, segments: segments, minimumTarget: Int(targetDuration.rounded(.up)))
    }

    /// The first sample of `track` whose decode time (from the track's start) is at or after
    /// `seconds`.
    static func firstSample(_ track: Track, atOrAfter seconds: Double, from: Int) -> Int {
        let start = track.decodeTimes[0]
        let goal = Int64(min((seconds * Double(track.timescale)).rounded(), Double(Track.maxTime)))
        var lo = from, hi = track.samples.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if track.decodeTimes[mid] - start < goal { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
