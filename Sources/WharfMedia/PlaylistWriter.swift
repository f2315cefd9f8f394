/// HLS playlists (RFC 8216, Apple's HLS authoring specification) for segment plans.
public enum PlaylistWriter {
    /// The media playlist of one MP4: VOD, fMP4 with `EXT-X-MAP` (version 7), exact fractional
    /// `EXTINF`s whose sum is the video track's duration (the audio's when there is no video).
    public static func media(_ plan: SegmentPlan, initURI: String = "init.mp4", segmentURI: (Int) -> String = { "seg-\($0).m4s" }) -> String {
        var s = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:\(plan.targetDuration)\n"
        s += "#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        s += "#EXT-X-MAP:URI=\"\(initURI)\"\n"
        for (i, segment) in plan.segments.enumerated() {
            s += "#EXTINF:\(decimal(segment.duration, places: 6)),\n\(segmentURI(i + 1))\n"
        }
        return s + "#EXT-X-ENDLIST\n"
    }

    /// One variant of a multivariant playlist: a plan and the URI of its media playlist.
    public struct Variant: Sendable {
        public var plan: SegmentPlan
        public var uri: String
        public var name: String?

        public init(plan: SegmentPlan, uri: String, name: String? = nil) {
            self.plan = plan
            self.uri = uri
            self.name = name
        }
    }

    /// The multivariant ("master") playlist: per variant `BANDWIDTH` (peak), `AVERAGE-BANDWIDTH`,
    /// `CODECS`, and for video `RESOLUTION` and `FRAME-RATE`, in the order given (the site's
    /// choice, from `hls.toml`).
    public static func multivariant(_ variants: [Variant]) -> String {
        var s = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        for v in variants {
            var attributes = ["BANDWIDTH=\(v.plan.peakBandwidth)", "AVERAGE-BANDWIDTH=\(v.plan.averageBandwidth)",
                              "CODECS=\"\(v.plan.codecs)\""]
            if let video = v.plan.video {
                attributes.append("RESOLUTION=\(video.width)x\(video.height)")
                if let rate = v.plan.frameRate { attributes.append("FRAME-RATE=\(decimal(rate, places: 3))") }
            }
            // The label as STABLE-VARIANT-ID (RFC 8216bis), in the characters it allows.
            if let name = v.name {
                let id = String(name.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) })
                if !id.isEmpty { attributes.append("STABLE-VARIANT-ID=\"\(id)\"") }
            }
            s += "#EXT-X-STREAM-INF:\(attributes.joined(separator: ","))\n\(v.uri)\n"
        }
        return s
    }

    /// `value` with `places` decimals, no exponent, trailing zeros kept (stable output).
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = scaled / Int64(scale), fraction = scaled % Int64(scale)
        let digits = String(fraction)
        return "\(whole).\(String(repeating: "0", count: places - digits.count))\(digits)"
    }
}
