import WharfHTTP

/// Picks the output format from the spec, the client's `Accept` and the source.
public enum FormatNegotiation {
    /// The chosen format and whether the choice depended on `Accept` (then the response must
    /// carry `Vary: Accept`).
    public struct Choice: Sendable, Equatable {
        public let format: ImageFormat
        public let negotiated: Bool
    }

    /// `auto`: AVIF when `Accept` lists `image/avif`, else WebP when it lists `image/webp`, else
    /// the source's own format. An animated source that keeps its frames prefers WebP, the only
    /// animated format Wharf writes.
    public static func choose(_ requested: TransformSpec.FormatChoice?, accept: String?, source: ImageFormat,
                              keepsAnimation: Bool = false) -> Choice {
        switch requested {
        case .fixed(let f):
            return Choice(format: f, negotiated: false)
        case nil:
            return Choice(format: keepsAnimation ? .webp : source, negotiated: false)
        case .auto:
            let media = AcceptMedia.parse(accept)
            if !keepsAnimation, media.explicitlyAccepts("image/avif") { return Choice(format: .avif, negotiated: true) }
            if media.explicitlyAccepts("image/webp") { return Choice(format: .webp, negotiated: true) }
            return Choice(format: source, negotiated: true)
        }
    }
}
