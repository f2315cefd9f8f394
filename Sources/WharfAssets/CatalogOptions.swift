/// Knobs of the asset catalog.
public struct CatalogOptions: Sendable {
    /// The document root.
    public var root: String
    /// Files up to this size are held in memory and answered without disk I/O.
    public var memoryMaxFileBytes: Int = 64 * 1024
    /// Total bytes held in memory for file bodies (plain and precompressed).
    public var memoryBudgetBytes: Int = 256 * 1024 * 1024
    /// The file served for a directory URL.
    public var indexFile: String = "index.html"
    /// How often the root is re-scanned for changed, added and removed files (seconds).
    public var revalidateInterval: Double = 1.0

    public init(root: String) {
        self.root = root
    }
}
