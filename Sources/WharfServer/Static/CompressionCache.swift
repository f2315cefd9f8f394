import NIOConcurrencyHelpers
import NIOCore
import WharfAssets
import WharfCompression
import WharfHTTP

/// Variants compressed on the fly for compressible files that have no precompressed sibling:
/// Brotli at a fast quality, gzip at level 6, kept in memory up to a byte budget (least
/// recently used out first). Concurrent requests for the same variant share one compression.
final class CompressionCache: Sendable {
    struct Key: Hashable, Sendable {
        let etag: String
        let coding: ContentCoding
    }

    private struct Entry {
        let variant: PreparedVariant
        /// Bytes held (0 when the entry only remembers that compressing did not pay).
        let size: Int
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        var inflight: [Key: EventLoopFuture<PreparedVariant>] = [:]
    }

    private let state = NIOLockedValueBox(State())
    let budget: Int

    init(budget: Int) {
        self.budget = budget
    }

    var usedBytes: Int { state.withLockedValue { $0.bytes } }

    /// The cached variant, if present (and marks it recently used).
    func cached(_ asset: PreparedAsset, _ coding: ContentCoding) -> PreparedVariant? {
        let key = Key(etag: asset.asset.identity.etag.opaqueTag, coding: coding)
        return state.withLockedValue { s in
            guard var e = s.entries[key] else { return nil }
            s.clock &+= 1
            e.lastUse = s.clock
            s.entries[key] = e
            return e.variant
        }
    }

    /// Compresses on `pool`, caching the result. When the compressed bytes are not smaller, the
    /// plain variant is returned (and remembered) instead.
    func compress(_ asset: PreparedAsset, _ coding: ContentCoding, pool: BlockingPool,
                  on eventLoop: any EventLoop) -> EventLoopFuture<PreparedVariant> {
        let key = Key(etag: asset.asset.identity.etag.opaqueTag, coding: coding)
        let existing: EventLoopFuture<PreparedVariant>? = state.withLockedValue { s in
            if let e = s.entries[key] { return eventLoop.makeSucceededFuture(e.variant) }
            return s.inflight[key]
        }
        if let existing { return existing.hop(to: eventLoop) }

        let plain = asset.identity
        let future = pool.submit(on: eventLoop) { () throws -> PreparedVariant in
            let source: [UInt8]
            if let body = plain.memoryBody {
                source = Array(body.readableBytesView)
            } else {
                source = try plain.file!.readAll(size: plain.length)
            }
            let packed: [UInt8]
            switch coding {
            case .br: packed = try Brotli.compress(source, quality: Brotli.fastQuality)
            case .gzip: packed = try Gzip.compress(source, level: Gzip.defaultLevel)
            case .identity: return plain
            }
            guard packed.count < source.count else { return plain }
            return PreparedVariant(
                coding: coding, etag: EntityTag(ContentHash.of(packed) + coding.etagSuffix),
                lastModified: plain.lastModified, contentType: plain.contentType, length: packed.count,
                memoryBody: ByteBuffer(bytes: packed), file: nil, fileIdentity: nil,
                compressible: true, directives: asset.directives)
        }
        state.withLockedValue { $0.inflight[key] = future }
        future.whenComplete { [self] result in
            state.withLockedValue { s in
                s.inflight[key] = nil
                guard case .success(let v) = result else { return }
                let size = v === plain ? 0 : v.length
                guard size <= budget else { return }
                s.clock &+= 1
                s.entries[key] = Entry(variant: v, size: size, lastUse: s.clock)
                s.bytes += size
                while s.bytes > budget, let victim = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                    s.entries[victim.key] = nil
                    s.bytes -= victim.value.size
                }
            }
        }
        return future
    }
}
