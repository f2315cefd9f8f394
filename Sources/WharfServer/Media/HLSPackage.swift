import NIOCore
import WharfAssets
import WharfCompression
import WharfHTTP
import WharfMedia

/// One MP4 packaged for HLS: its segment plan, the file it reads samples from, and the
/// playlists and init segment, prepared as responses (playlists in identity, gzip and br).
final class HLSPackage: Sendable {
    /// A playlist in every coding a client may get.
    struct Playlist: Sendable {
        let identity: PreparedVariant
        let gzip: PreparedVariant
        let br: PreparedVariant

        static let offered: [ContentCoding] = [.br, .gzip, .identity]

        func variant(_ coding: ContentCoding) -> PreparedVariant {
            switch coding {
            case .br: br
            case .gzip: gzip
            default: identity
            }
        }

        init(text: String, lastModified: Int64, directives: CacheDirectives, tags: [(String, String)]) {
            func prepare(_ bytes: [UInt8], _ coding: ContentCoding) -> PreparedVariant {
                PreparedVariant(coding: coding, etag: EntityTag(ContentHash.of(bytes)), lastModified: lastModified,
                                contentType: "application/vnd.apple.mpegurl", length: bytes.count,
                                memoryBody: ByteBuffer(bytes: bytes), file: nil, fileIdentity: nil,
                                compressible: true, directives: directives, tags: tags)
            }
            let plain = Array(text.utf8)
            identity = prepare(plain, .identity)
            // Compressing text this small cannot fail short of memory exhaustion; fall back to plain.
            gzip = (try? Gzip.compress(plain)).map { prepare($0, .gzip) } ?? identity
            br = (try? Brotli.compress(plain, quality: 9)).map { prepare($0, .br) } ?? identity
        }
    }

    /// The packager's output version: in segment ETags and stored plans' names; bumped whenever
    /// segmentation or segment bytes change.
    static let version = 2

    let plan: SegmentPlan
    let source: any MediaSource
    /// The MP4's content hash (its strong ETag's opaque tag).
    let sourceHash: String
    let lastModified: Int64
    let tags: [(String, String)]
    let master: Playlist
    let media: Playlist
    let initSegment: PreparedVariant

    static let playlistDirectives = CacheDirectives(
        cacheControl: "public, max-age=86400, stale-while-revalidate=86400",
        cdnCacheControl: "max-age=31536000, stale-if-error=604800",
        surrogateControl: "max-age=31536000, stale-if-error=604800")
    static let segmentDirectives = CacheDirectives(
        cacheControl: "public, max-age=31536000, immutable",
        cdnCacheControl: "max-age=31536000",
        surrogateControl: "max-age=31536000")

    init(plan: SegmentPlan, source: any MediaSource, asset: PreparedAsset) {
        self.plan = plan
        self.source = source
        sourceHash = asset.identity.etag.opaqueTag
        lastModified = asset.asset.lastModified
        tags = asset.tagFields
        master = Playlist(text: PlaylistWriter.multivariant([.init(plan: plan, uri: "index.m3u8")]),
                          lastModified: lastModified, directives: Self.playlistDirectives, tags: tags)
        media = Playlist(text: PlaylistWriter.media(plan), lastModified: lastModified,
                         directives: Self.playlistDirectives, tags: tags)
        let initBytes = FragmentWriter.initSegment(tracks: plan.tracks)
        initSegment = PreparedVariant(coding: .identity, etag: EntityTag(ContentHash.of(initBytes)), lastModified: lastModified,
                                      contentType: "video/mp4", length: initBytes.count, memoryBody: ByteBuffer(bytes: initBytes),
                                      file: nil, fileIdentity: nil, compressible: false, directives: Self.segmentDirectives,
                                      tags: tags)
    }

    /// Media segment `n` (from 1), read from the MP4 (blocking: call on the pool).
    func segment(_ n: Int) throws(MediaError) -> PreparedVariant {
        let bytes = try FragmentWriter.mediaSegment(sequence: UInt32(n), plan: plan, source: source)
        // Derived, not hashed: the same source bytes and packager give the same segment bytes,
        // on every replica and after restarts, without hashing megabytes per segment.
        let etag = ContentHash.of(Array("\(sourceHash)/seg-\(n)/v\(Self.version)".utf8))
        return PreparedVariant(coding: .identity, etag: EntityTag(etag), lastModified: lastModified,
                               contentType: "video/iso.segment", length: bytes.count, memoryBody: ByteBuffer(bytes: bytes),
                               file: nil, fileIdentity: nil, compressible: false, directives: Self.segmentDirectives, tags: tags)
    }
}
