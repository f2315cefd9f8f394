/// The class of a response, which picks its default caching.
public enum AssetKind: String, Sendable {
    /// A file whose name carries a content hash; its bytes never change under that URL.
    case fingerprinted
    /// An HTML document at a stable URL.
    case html
    /// Any other file at a stable URL.
    case other
    /// A 404 response.
    case notFound
}
