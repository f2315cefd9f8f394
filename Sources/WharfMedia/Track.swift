/// One sample (a video frame or an audio access unit) of a track, in decode order.
public struct Sample: Sendable, Equatable {
    /// Where its bytes are in the source file.
    public var offset: UInt64
    public var size: UInt32
    /// Decode duration, in the track's timescale.
    public var duration: UInt32
    /// Presentation minus decode time, in the track's timescale (`ctts` / `trun`).
    public var compositionOffset: Int32
    /// A random access point (`stss`, or a fragment's non-sync flag clear).
    public var isSync: Bool

    public init(offset: UInt64, size: UInt32, duration: UInt32, compositionOffset: Int32 = 0, isSync: Bool) {
        self.offset = offset
        self.size = size
        self.duration = duration
        self.compositionOffset = compositionOffset
        self.isSync = isSync
    }
}

/// A video or audio track of an MP4 with everything the packager needs: its sample entry to copy
/// into the init segment, its codec string, and its samples.
public struct Track: Sendable {
    public enum Kind: String, Sendable { case video, audio }

    public var id: UInt32
    public var kind: Kind
    /// Ticks per second of the track's times.
    public var timescale: UInt32
    /// The `mdhd` language field, copied.
    public var language: UInt16
    /// The whole `stsd` box, copied verbatim into the init segment.
    public var sampleDescriptions: [UInt8]
    /// RFC 6381 codec (`avc1.64001f`, `hvc1.1.6.L93.B0`, `mp4a.40.2`).
    public var codec: String
    /// Video: coded picture size from the sample entry.
    public var width = 0
    public var height = 0
    /// Audio: channel count and sample rate from the sample entry.
    public var channels = 0
    public var sampleRate = 0
    /// The presentation start in media time from a single-offset edit list (`elst` media_time):
    /// subtracted from composition offsets, so that the first presented sample starts at 0.
    public var editMediaTime: Int64 = 0
    /// Samples in decode order.
    public var samples: [Sample] = []
    /// The decode time of each sample, from the track's start (the first is 0 unless a
    /// fragmented input's first `tfdt` says otherwise).
    public var decodeTimes: [Int64] = []

    /// Times at or past this (2^52 ticks: 142 years at 1 MHz) are refused as corrupt, which keeps
    /// every sum of times and durations far from overflowing.
    static let maxTime: UInt64 = 1 << 52

    /// Checks what the packager relies on: decode times that start in range and never go
    /// backwards. An edit that starts past the media is dropped.
    mutating func validate() throws(MediaError) {
        guard let first = decodeTimes.first else { return }
        guard first >= 0, UInt64(endTime) < Self.maxTime else { throw .malformed("track \(id)'s times are out of range") }
        for i in decodeTimes.indices.dropFirst() where decodeTimes[i] < decodeTimes[i - 1] {
            throw .malformed("decode times of track \(id) go backwards at sample \(i + 1)")
        }
        if editMediaTime < 0 || editMediaTime > endTime - first { editMediaTime = 0 }
    }

    /// Decode time just past the last sample.
    public var endTime: Int64 { (decodeTimes.last ?? 0) + Int64(samples.last?.duration ?? 0) }
    /// Track duration in seconds, from the first sample's decode time.
    public var duration: Double { Double(endTime - (decodeTimes.first ?? 0)) / Double(timescale) }
}
