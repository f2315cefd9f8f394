import NIOConcurrencyHelpers
import NIOCore
import WharfAssets
import WharfHTTP
import WharfImage

/// Where a transformed variant comes from: hot ones from memory, then the on-disk result
/// cache, then the pipeline on the bounded image pool. Concurrent requests for the same
/// output share one job (request coalescing).
final class ImageVariants: Sendable {
    /// A variant in memory, per URL (its caching headers come from the source's URL) and per
    /// whether it varies on `Accept`.
    struct MemoryKey: Hashable, Sendable {
        let urlPath: String
        let sourceHash: String
        let canonical: String
        let negotiated: Bool
    }

    /// What a job hands back: the encoded bytes and how they were obtained.
    struct Output: Sendable {
        enum Origin: Sendable { case disk, transformed }
        let bytes: [UInt8]
        let hash: String
        let origin: Origin
    }

    /// The source file changed on disk since it was hashed.
    struct StaleSource: Error {}

    private struct State {
        var entries: BoundedLRU<MemoryKey, PreparedVariant>
        var inflight: [String: EventLoopFuture<Output>] = [:]
    }

    private let state: NIOLockedValueBox<State>
    let pipeline: ImagePipeline
    let pool: BlockingPool
    let disk: ResultCache?
    let memoryBudget: Int
    let metrics: ServerMetrics

    init(pipeline: ImagePipeline, pool: BlockingPool, disk: ResultCache?, memoryBudget: Int, metrics: ServerMetrics) {
        self.pipeline = pipeline
        self.pool = pool
        self.disk = disk
        self.memoryBudget = memoryBudget
        self.metrics = metrics
        self.state = NIOLockedValueBox(State(entries: BoundedLRU(budget: memoryBudget)))
    }

    func cached(_ key: MemoryKey) -> PreparedVariant? {
        state.withLockedValue { $0.entries.get(key) }
    }

    /// Keeps `variant` in memory (LRU within the budget; a variant over an eighth of it is not kept).
    func remember(_ key: MemoryKey, _ variant: PreparedVariant) {
        let size = variant.length + 512
        guard size <= memoryBudget / 8 else { return }
        state.withLockedValue { $0.entries.set(key, variant, size: size) }
    }

    /// The encoded output named `name` (see ``ResultCache/name(sourceHash:canonical:version:fileExtension:)``):
    /// joins a running job for the same name, else runs one on the pool.
    func produce(name: String, source: PreparedVariant, spec: TransformSpec, format: ImageFormat,
                 on eventLoop: any EventLoop) -> EventLoopFuture<Output> {
        enum Claim { case running(EventLoopFuture<Output>), mine(EventLoopPromise<Output>) }
        let claim: Claim = state.withLockedValue { s in
            if let f = s.inflight[name] { return .running(f) }
            let p = eventLoop.makePromise(of: Output.self)
            s.inflight[name] = p.futureResult
            return .mine(p)
        }
        let promise: EventLoopPromise<Output>
        switch claim {
        case .running(let f):
            metrics.imageLookups.coalesced.increment()
            return f.hop(to: eventLoop)
        case .mine(let p):
            promise = p
        }
        let pipeline = self.pipeline, disk = self.disk, metrics = self.metrics
        let job = pool.submit(on: eventLoop) { () throws -> Output in
            if let bytes = disk?.read(name) {
                return Output(bytes: bytes, hash: ContentHash.of(bytes), origin: .disk)
            }
            let bytes: [UInt8]
            if let body = source.memoryBody {
                bytes = Array(body.readableBytesView)
            } else {
                bytes = try source.file!.readAll(size: source.length)
                // The descriptor may see an in-place rewrite: transform only the hashed bytes.
                guard ContentHash.of(bytes) == source.etag.opaqueTag else { throw StaleSource() }
            }
            let start = NIODeadline.now()
            do {
                let image = try pipeline.render(bytes, spec: spec, format: format)
                metrics.imageTransforms.ok.increment()
                metrics.imageTransformDuration.recordNanoseconds((NIODeadline.now() - start).nanoseconds)
                disk?.write(name, image.bytes)
                return Output(bytes: image.bytes, hash: ContentHash.of(image.bytes), origin: .transformed)
            } catch {
                metrics.imageTransforms.failed.increment()
                throw error
            }
        }
        job.cascade(to: promise)
        job.whenComplete { [self] _ in
            state.withLockedValue { _ = $0.inflight.removeValue(forKey: name) }
        }
        return job
    }
}
