/// Bounds on what parsing an MP4 may cost. Every one has a default and a knob (`hls.*`).
public struct MediaLimits: Sendable, Equatable {
    /// Bytes of metadata read into memory per file: `moov`, plus every `moof` of fragmented input.
    public var maxMetadataBytes = 64 << 20
    /// Samples across all tracks of one file (about 32 bytes of memory each).
    public var maxSamples = 4_000_000
    /// Top-level boxes scanned (a fragmented file has two per fragment).
    public var maxTopLevelBoxes = 1_000_000

    public init() {}
}
