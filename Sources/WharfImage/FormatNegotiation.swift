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
    /// the source's own format.
    ///
    /// `animated`: the source may be animated and animation is kept (GIF or WebP source with
    /// `maxAnimationFrames` > 1): WebP, the animated format Wharf writes, then goes first, and is
    /// also the default output.
    public static func choose(_ requested: TransformSpec.FormatChoice?, accept: String?, source: ImageFormat,
                              animated: Bool = false) -> Choice {
        choose(requested, support: AcceptMedia.imageSupport(accept), source: source, animated: animated)
    }

    /// The same from ``AcceptMedia/imageSupport(_:)`` bits (1: AVIF, 2: WebP).
    public static func choose(_ requested: TransformSpec.FormatChoice?, support: UInt8, source: ImageFormat,
                              animated: Bool = false) -> Choice {
        switch requested {
        case .fixed(let f):
            return Choice(format: f, negotiated: false)
        case nil:
            return Choice(format: animated ? .webp : source, negotiated: false)
        case .auto:
            if animated, support & 2 != 0 { return Choice(format: .webp, negotiated: true) }
            if support & 1 != 0 { return Choice(format: .avif, negotiated: true) }
            if support & 2 != 0 { return Choice(format: .webp, negotiated: true) }
            return Choice(format: source, negotiated: true)
        }
    }
}
