import NIOConcurrencyHelpers
import NIOCore
import WharfAssets
import WharfHTTP
import WharfImage

/// Where a transformed variant comes from: hot ones from memory, then the on-disk result
/// cache, then the pipeline on the bounded image pool. Concurrent requests for the same
/// output share one job (request coalescing).
final class ImageVariants: Sendable {
    /// A request as it arrived: the URL path, the raw query and which of AVIF/WebP `Accept`
    /// lists. A hit is answered without parsing anything; a signed URL is only ever stored after
    /// its check.
    struct RequestKey: Hashable, Sendable {
        let urlPath: String
        let query: String
        let support: UInt8
    }

    /// An output held in memory: per URL (its caching headers and tags come from the source's
    /// URL), per result-cache name (source hash, canonical parameters, format, settings) and per
    /// whether it varies on `Accept`. Every spelling of one output shares it.
    struct OutputKey: Hashable, Sendable {
        let urlPath: String
        let name: String
        let negotiated: Bool
    }

    private struct Held: Sendable {
        /// The source's content hash: a changed source misses (and its old entry ages out).
        let sourceHash: String
        let output: OutputKey
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

    /// The request memo is bounded by count (each entry is charged 1), outputs by bytes.
    static let maxRemembered = 16_384

    private struct State {
        var requests = BoundedLRU<RequestKey, Held>(budget: ImageVariants.maxRemembered)
        var outputs: BoundedLRU<OutputKey, PreparedVariant>
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
        self.state = NIOLockedValueBox(State(outputs: BoundedLRU(budget: memoryBudget)))
    }

    /// The output a request got before, if the source is unchanged and the output still held.
    func cached(_ key: RequestKey, sourceHash: String) -> PreparedVariant? {
        state.withLockedValue { s in
            guard let held = s.requests.get(key), held.sourceHash == sourceHash else { return nil }
            return s.outputs.get(held.output)
        }
    }

    func cached(_ output: OutputKey) -> PreparedVariant? {
        state.withLockedValue { $0.outputs.get(output) }
    }

    /// Keeps `variant` (LRU within the byte budget; one over an eighth of it is not kept) and
    /// remembers that `request` gets it. `sharesBody`: the body belongs to the catalog (a
    /// file-backed negotiated original), so only the entry itself is charged.
    func remember(_ request: RequestKey, sourceHash: String, output: OutputKey, _ variant: PreparedVariant,
                  sharesBody: Bool = false) {
        let size = (sharesBody ? 0 : variant.length) + 512
        guard size <= memoryBudget / 8 else { return }
        state.withLockedValue { s in
            s.outputs.set(output, variant, size: size)
            s.requests.set(request, Held(sourceHash: sourceHash, output: output), size: 1)
        }
    }

    /// Remembers that `request` gets an output already held.
    func remember(_ request: RequestKey, sourceHash: String, output: OutputKey) {
        state.withLockedValue { $0.requests.set(request, Held(sourceHash: sourceHash, output: output), size: 1) }
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
                // The descriptor may see an in-place rewrite: the file must be the one that was
                // hashed before and after the read (the check static responses make).
                let file = source.file!
                guard let expected = source.fileIdentity, (try? file.identity()) == expected else { throw StaleSource() }
                bytes = try file.readAll(size: source.length)
                guard (try? file.identity()) == expected else { throw StaleSource() }
            }
            let start = NIODeadline.now()
            do {
                let image = try pipeline.render(bytes, spec: spec, format: format)
                metrics.imageTransforms.ok.increment()
                metrics.imageTransformDuration.recordNanoseconds((NIODeadline.now() - start).nanoseconds)
                // Written behind the response, by the cache's own writer thread.
                disk?.writeLater(name, image.bytes)
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

    /// Forgets the outputs of source paths that `matches` accepts (a purge); returns their
    /// result-cache names so the caller can delete them from disk too.
    func drop(where matches: (String) -> Bool) -> [String] {
        state.withLockedValue { s in
            s.requests.removeAll { matches($0.urlPath) }
            return s.outputs.removeAll { matches($0.urlPath) }.map(\.name)
        }
    }
}
