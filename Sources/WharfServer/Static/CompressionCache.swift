import NIOConcurrencyHelpers
import NIOCore
import WharfAssets
import WharfCompression
import WharfHTTP

/// Variants compressed on the fly for compressible files that have no precompressed sibling:
/// Brotli at a fast quality, gzip at level 6, kept in memory up to a byte budget (least
/// recently used out first). Concurrent requests for the same variant share one compression.
final class CompressionCache: Sendable {
    /// The file changed on disk since it was hashed; the request gets 503 and the catalog re-scans.
    struct StaleSource: Error {}

    /// Per URL and content: two URLs with the same bytes may have different caching headers,
    /// and the prepared variant carries them.
    struct Key: Hashable, Sendable {
        let urlPath: String
        let etag: String
        let coding: ContentCoding
    }

    private struct State {
        /// nil values: compressing this content does not pay; serve the plain variant.
        var entries: BoundedLRU<Key, PreparedVariant?>
        var inflight: [Key: EventLoopFuture<PreparedVariant>] = [:]
    }

    private let state: NIOLockedValueBox<State>
    let budget: Int

    init(budget: Int) {
        self.budget = budget
        self.state = NIOLockedValueBox(State(entries: BoundedLRU(budget: budget)))
    }

    /// The cached variant, if present (and marks it recently used).
    func cached(_ asset: PreparedAsset, _ coding: ContentCoding) -> PreparedVariant? {
        let key = Key(urlPath: asset.asset.urlPath, etag: asset.asset.identity.etag.opaqueTag, coding: coding)
        return state.withLockedValue { s in
            guard let v = s.entries.get(key) else { return nil }
            return v ?? asset.identity
        }
    }

    /// Compresses on `pool`, caching the result. When the compressed bytes are not smaller, the
    /// plain variant is returned (and remembered) instead.
    func compress(_ asset: PreparedAsset, _ coding: ContentCoding, pool: BlockingPool,
                  on eventLoop: any EventLoop) -> EventLoopFuture<PreparedVariant> {
        let key = Key(urlPath: asset.asset.urlPath, etag: asset.asset.identity.etag.opaqueTag, coding: coding)
        let plain = asset.identity
        // Check and claim in one critical section, so one compression runs per key.
        enum Claim { case done(PreparedVariant), running(EventLoopFuture<PreparedVariant>), mine(EventLoopPromise<PreparedVariant>) }
        let claim: Claim = state.withLockedValue { s in
            if let v = s.entries.get(key) { return .done(v ?? plain) }
            if let f = s.inflight[key] { return .running(f) }
            let promise = eventLoop.makePromise(of: PreparedVariant.self)
            s.inflight[key] = promise.futureResult
            return .mine(promise)
        }
        let promise: EventLoopPromise<PreparedVariant>
        switch claim {
        case .done(let v): return eventLoop.makeSucceededFuture(v)
        case .running(let f): return f.hop(to: eventLoop)
        case .mine(let p): promise = p
        }
        let future = pool.submit(on: eventLoop) { () throws -> PreparedVariant in
            let source: [UInt8]
            if let body = plain.memoryBody {
                source = Array(body.readableBytesView)
            } else {
                source = try plain.file!.readAll(size: plain.length)
                // The descriptor may see an in-place rewrite: compress only the hashed bytes.
                guard ContentHash.of(source) == plain.etag.opaqueTag else { throw StaleSource() }
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
                compressible: true, directives: asset.directives, tags: asset.tagFields)
        }
        future.cascade(to: promise)
        future.whenComplete { [self] result in
            state.withLockedValue { s in
                s.inflight[key] = nil
                guard case .success(let v) = result else { return }
                // When compressing did not pay, a marker is cached (not the plain variant, which
                // would pin an old body or descriptor); it is charged a nominal 64 bytes.
                let worth = v !== plain
                s.entries.set(key, worth ? v : nil, size: worth ? v.length : 64)
            }
        }
        return future
    }

    /// Drops the variants of URL paths that `matches` accepts (a purge).
    func drop(where matches: (String) -> Bool) {
        state.withLockedValue { _ = $0.entries.removeAll { matches($0.urlPath) } }
    }
}
