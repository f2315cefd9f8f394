/// How a movie is cut into HLS segments, and what the playlists say about it.
public struct SegmentPlan: Sendable {
    public struct Segment: Sendable, Equatable {
        /// Per track, in ``SegmentPlan/tracks`` order: the samples this segment carries.
        public var samples: [Range<Int>]
        /// The `EXTINF` duration, seconds.
        public var duration: Double
        /// Bytes of the segment as served (`moof` + `mdat`).
        public var byteCount: Int
    }

    public let tracks: [Track]
    public let segments: [Segment]
    /// `EXT-X-TARGETDURATION`: the largest rounded `EXTINF`, never below the configured target.
    public let targetDuration: Int
    /// Peak segment bit rate (RFC 8216 §4.1: the largest bit rate of any run of segments lasting
    /// 0.5 to 1.5 target durations), bits per second.
    public let peakBandwidth: Int
    /// Total segment bits over the total duration.
    public let averageBandwidth: Int

    /// All tracks' codecs, video first, for `CODECS`.
    public var codecs: String {
        (tracks.filter { $0.kind == .video } + tracks.filter { $0.kind == .audio }).map(\.codec).joined(separator: ",")
    }

    public var video: Track? { tracks.first { $0.kind == .video } }

    /// Frames per second of the video track, for `FRAME-RATE`.
    public var frameRate: Double? {
        guard let v = video, v.duration > 0 else { return nil }
        return Double(v.samples.count) / v.duration
    }

    /// The configured target the plan was made for (the floor of ``targetDuration``).
    let minimumTarget: Int

    init(tracks: [Track], segments: [Segment], minimumTarget: Int) {
        self.minimumTarget = minimumTarget
        self.tracks = tracks
        self.segments = segments
        let longest = segments.map { Int(($0.duration + 0.5).rounded(.down)) }.max() ?? 1
        targetDuration = max(longest, minimumTarget, 1)
        let total = segments.reduce(0) { $0 + $1.duration }
        let bytes = segments.reduce(0) { $0 + $1.byteCount }
        averageBandwidth = total > 0 ? Int((Double(bytes * 8) / total).rounded(.up)) : 0
        peakBandwidth = Self.peak(segments, target: Double(targetDuration))
    }

    static func peak(_ segments: [Segment], target: Double) -> Int {
        var best = 0.0
        for i in segments.indices {
            var bytes = 0, seconds = 0.0
            for j in i..<segments.count {
                bytes += segments[j].byteCount
                seconds += segments[j].duration
                if seconds > 1.5 * target { break }
                if seconds >= 0.5 * target { best = max(best, Double(bytes * 8) / seconds) }
            }
        }
        // Too short for any window (one short segment): its own rate.
        if best == 0 {
            best = segments.filter { $0.duration > 0 }.map { Double($0.byteCount * 8) / $0.duration }.max() ?? 0
        }
        return Int(best.rounded(.up))
    }
}
