import WharfMedia

/// `[hls]` in `wharf.toml`: on-the-fly HLS packaging of MP4 files.
public struct HLSOptions: Sendable {
    /// Serve `X.mp4/master.m3u8` & co. at all.
    public var enabled = true
    /// The segment duration aimed at, seconds (cuts fall on key frames nearest to it).
    public var segmentDuration = 6.0
    /// Parsing bounds per file.
    public var limits = MediaLimits()
    /// Memory for packaged files (segment maps, playlists, init segments).
    public var packageCacheBytes = 256 << 20
    /// Where segment plans are kept across restarts (relative to the working directory), or
    /// "off". Beside the image result cache by default.
    public var cacheDirectory = ".wharf-cache/hls"
    /// Memory for assembled segments, so warm segments are answered without reading the MP4.
    public var segmentCacheBytes = 256 << 20

    public init() {}
}
