/// The caching header field values for one response. A nil field means "not set": in a
/// ``CacheRule`` it falls back to the default for the asset's kind.
public struct CacheDirectives: Equatable, Sendable {
    /// Cache-Control, for browsers and any cache without a more specific field.
    public var cacheControl: String?
    /// RFC 9213 CDN-Cache-Control. It is a Structured Fields dictionary, so it has no `public`;
    /// use `max-age=N`, `stale-while-revalidate=N`, …
    public var cdnCacheControl: String?
    /// Fastly's Surrogate-Control, stripped at the edge.
    public var surrogateControl: String?

    /// Creates a set of directives; nil leaves a field unset.
    public init(cacheControl: String? = nil, cdnCacheControl: String? = nil, surrogateControl: String? = nil) {
        self.cacheControl = cacheControl
        self.cdnCacheControl = cdnCacheControl
        self.surrogateControl = surrogateControl
    }

    /// These directives with every nil field taken from `base`.
    public func overlaying(_ base: CacheDirectives) -> CacheDirectives {
        CacheDirectives(
            cacheControl: cacheControl ?? base.cacheControl,
            cdnCacheControl: cdnCacheControl ?? base.cdnCacheControl,
            surrogateControl: surrogateControl ?? base.surrogateControl
        )
    }
}
