/// A parsed MP4: its supported tracks with their samples, from a progressive file (`moov` with
/// sample tables, at the front or the end) or a fragmented one (`moov` + `moof`/`mdat` pairs).
public struct Movie: Sendable {
    public var tracks: [Track]
    /// Whether the samples came from movie fragments.
    public var fragmented: Bool

    /// Reads and checks `source`'s structure and sample tables (not the sample data).
    public static func parse(_ source: any MediaSource, limits: MediaLimits = MediaLimits()) throws(MediaError) -> Movie {
        try MovieParser(source: source, limits: limits).parse()
    }
}
