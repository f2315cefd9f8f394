import Atomics
import NIOConcurrencyHelpers
import WharfAssets
import WharfHTTP
import WharfImage

/// A servable asset with its prepared representations.
final class PreparedAsset: Sendable {
    let asset: Asset
    let directives: CacheDirectives
    /// The plain file.
    let identity: PreparedVariant
    let br: PreparedVariant?
    let gzip: PreparedVariant?
    /// Whether missing br/gzip variants may be made on the fly.
    let compressOnTheFly: Bool
    /// Codings a client can be offered: siblings, on-the-fly ones, and the plain file last.
    let offered: [ContentCoding]
    /// For raster images the pipeline reads: the format the source is written back in.
    let imageFormat: ImageFormat?
    /// Surrogate-tag header fields, shared by every representation and derived variant.
    let tagFields: [(String, String)]

    init(asset: Asset, policy: CachePolicy, tagPolicy: TagPolicy = TagPolicy(), compressMaxFileBytes: Int) {
        self.asset = asset
        let directives = policy.directives(forPath: asset.urlPath, contentType: asset.contentType)
        self.directives = directives
        let tags = tagPolicy.fields(forPath: asset.urlPath)
        tagFields = tags
        identity = PreparedVariant.from(asset, asset.identity, directives: directives, tags: tags)
        br = asset.variant(.br).map { PreparedVariant.from(asset, $0, directives: directives, tags: tags) }
        gzip = asset.variant(.gzip).map { PreparedVariant.from(asset, $0, directives: directives, tags: tags) }
        compressOnTheFly = asset.isCompressible && asset.precompressed.isEmpty
            && asset.identity.length <= compressMaxFileBytes && asset.identity.length > 0
        offered = compressOnTheFly ? [.br, .gzip, .identity] : asset.availableCodings
        imageFormat = ImageFormat.forSource(contentType: asset.contentType)
    }

    /// The prepared representation for a coding, if it exists (not counting on-the-fly ones).
    @inline(__always)
    func variant(_ coding: ContentCoding) -> PreparedVariant? {
        switch coding {
        case .identity: identity
        case .br: br
        case .gzip: gzip
        }
    }
}

/// The routing table of the static site: URL path → prepared asset. Rebuilt from each catalog
/// snapshot (reusing unchanged entries) and swapped whole.
final class StaticSite: Sendable {
    /// A class, not a struct: connections hold it across requests (``TableCache``) and pass it
    /// down per request, and a reference moves with one retain where a struct moved with five.
    final class Table: Sendable {
        let generation: Int
        let assets: [String: PreparedAsset]
        let directories: Set<String>
        let notFound: PreparedAsset?
        /// The build id the prepared responses are tagged with.
        let buildID: String?

        init(generation: Int, assets: [String: PreparedAsset], directories: Set<String>, notFound: PreparedAsset?,
             buildID: String?) {
            self.generation = generation
            self.assets = assets
            self.directories = directories
            self.notFound = notFound
            self.buildID = buildID
        }
    }

    private let table: NIOLockedValueBox<Table>
    /// Bumped on every update, so connections can keep the table and re-read it only on change.
    let version = ManagedAtomic<Int>(0)
    let policy: CachePolicy
    let tagPolicy: TagPolicy
    let compressMaxFileBytes: Int

    init(snapshot: CatalogSnapshot, policy: CachePolicy, tagPolicy: TagPolicy = TagPolicy(), compressMaxFileBytes: Int) {
        self.policy = policy
        self.tagPolicy = tagPolicy
        self.compressMaxFileBytes = compressMaxFileBytes
        self.table = NIOLockedValueBox(Self.build(snapshot, previous: nil, policy: policy, tagPolicy: tagPolicy,
                                                  compressMaxFileBytes: compressMaxFileBytes))
    }

    var current: Table { table.withLockedValue { $0 } }

    func update(_ snapshot: CatalogSnapshot) {
        let previous = current
        let next = Self.build(snapshot, previous: previous, policy: policy, tagPolicy: tagPolicy,
                              compressMaxFileBytes: compressMaxFileBytes)
        table.withLockedValue { $0 = next }
        version.wrappingIncrement(ordering: .releasing)
    }

    private static func build(_ snapshot: CatalogSnapshot, previous: Table?, policy: CachePolicy, tagPolicy: TagPolicy,
                              compressMaxFileBytes: Int) -> Table {
        // The build id of `wharf build`'s manifest tags every response, unless tags.build_id names one.
        var tagPolicy = tagPolicy
        if tagPolicy.buildID == nil { tagPolicy.buildID = snapshot.buildID }
        var assets: [String: PreparedAsset] = [:]
        assets.reserveCapacity(snapshot.assets.count)
        var byPath: [String: PreparedAsset] = [:]
        for (url, asset) in snapshot.assets {
            // Index aliases (`/docs/`) share the prepared entry of `/docs/index.html`.
            if let same = byPath[asset.urlPath] {
                assets[url] = same
                continue
            }
            let prepared: PreparedAsset
            if let old = previous?.assets[asset.urlPath], previous?.buildID == tagPolicy.buildID, old.asset.urlPath == asset.urlPath,
               old.asset.identity.etag == asset.identity.etag,
               old.asset.identity.fileIdentity == asset.identity.fileIdentity,
               old.asset.precompressed.map(\.etag) == asset.precompressed.map(\.etag) {
                prepared = old
            } else {
                prepared = PreparedAsset(asset: asset, policy: policy, tagPolicy: tagPolicy, compressMaxFileBytes: compressMaxFileBytes)
            }
            byPath[asset.urlPath] = prepared
            assets[url] = prepared
        }
        return Table(generation: snapshot.generation, assets: assets, directories: snapshot.directories,
                     notFound: assets["/404.html"], buildID: tagPolicy.buildID)
    }
}
