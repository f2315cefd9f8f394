import WharfHTTP

/// Where a representation's bytes live.
public enum AssetBody: Sendable {
    /// Held in memory: small files, answered without touching the disk.
    case memory([UInt8])
    /// Streamed from a descriptor opened when the file was hashed.
    case file(OpenFile)
}

/// One representation of an asset: the plain file or one of its precompressed siblings.
public struct AssetVariant: Sendable {
    public let coding: ContentCoding
    /// Strong, content-derived: `"<sha256/128 hex><suffix>"`, the suffix naming the coding.
    public let etag: EntityTag
    public let length: Int
    public let body: AssetBody
    /// The file's identity when it was hashed; a response re-checks it before streaming from disk.
    public let fileIdentity: FileIdentity
    public let filePath: String

    public init(coding: ContentCoding, hash: String, length: Int, body: AssetBody, fileIdentity: FileIdentity, filePath: String) {
        self.coding = coding
        self.etag = EntityTag(hash + coding.etagSuffix)
        self.length = length
        self.body = body
        self.fileIdentity = fileIdentity
        self.filePath = filePath
    }
}

/// A servable file of the catalog with its precompressed siblings.
public struct Asset: Sendable {
    /// The decoded URL path, e.g. `/css/site.css`.
    public let urlPath: String
    public let contentType: String
    public let isCompressible: Bool
    /// Last-Modified in seconds: the plain file's mtime.
    public let lastModified: Int64
    public let identity: AssetVariant
    /// Valid `.br` / `.gz` siblings, best first.
    public let precompressed: [AssetVariant]

    public init(urlPath: String, contentType: String, isCompressible: Bool, identity: AssetVariant, precompressed: [AssetVariant]) {
        self.urlPath = urlPath
        self.contentType = contentType
        self.isCompressible = isCompressible
        self.lastModified = identity.fileIdentity.mtimeSeconds
        self.identity = identity
        self.precompressed = precompressed
    }

    /// The codings a request can choose from, plain last.
    public var availableCodings: [ContentCoding] { precompressed.map(\.coding) + [.identity] }

    public func variant(_ coding: ContentCoding) -> AssetVariant? {
        coding == .identity ? identity : precompressed.first { $0.coding == coding }
    }
}

/// An immutable view of the catalog. The server swaps whole snapshots, so a request never
/// sees half of an update.
public struct CatalogSnapshot: Sendable {
    public let generation: Int
    /// By decoded URL path; directories with an index file also appear as `/dir/`.
    public let assets: [String: Asset]
    /// Directory URL paths without their trailing slash (`/docs`), for the 301 to `/docs/`.
    public let directories: Set<String>
    /// The build id of the root's `asset-manifest.json`, when `wharf build` made the root.
    public let buildID: String?
    public init(generation: Int, assets: [String: Asset], directories: Set<String>, buildID: String? = nil) {
        self.generation = generation
        self.assets = assets
        self.directories = directories
        self.buildID = buildID
    }
}
