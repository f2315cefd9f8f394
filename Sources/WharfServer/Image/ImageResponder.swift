import Logging
import NIOCore
import NIOHTTP1
import WharfAssets
import WharfHTTP
import WharfImage

/// Routes image requests with transform parameters: parses and checks the URL, negotiates
/// the format, then finds or makes the variant (``ImageVariants``). The answer is a prepared
/// variant served like any static hit (preconditions, ranges, HEAD, the same fast writer).
final class ImageResponder: Sendable {
    enum Answer {
        /// No transform parameters: serve the file as it is.
        case notTransform
        case reply(Reply)
        case variant(PreparedVariant)
        /// `negotiated`: the output depends on `Accept`, and so does an error about it.
        case pending(EventLoopFuture<PreparedVariant>, negotiated: Bool)
    }

    let options: ImageOptions
    let signer: URLSigner?
    let variants: ImageVariants
    let policy: CachePolicy
    let tagPolicy: TagPolicy
    let metrics: ServerMetrics
    let logger: Logger
    let perClient: ClientTransformLimit

    init(options: ImageOptions, variants: ImageVariants, policy: CachePolicy, tagPolicy: TagPolicy, metrics: ServerMetrics,
         logger: Logger, maxPerClient: Int = 0) {
        self.perClient = ClientTransformLimit(limit: maxPerClient)
        self.tagPolicy = tagPolicy
        self.logger = logger
        self.options = options
        self.signer = options.signingKeys.isEmpty ? nil : URLSigner(keys: options.signingKeys, signatureBytes: options.signatureBytes)
        self.variants = variants
        self.policy = policy
        self.metrics = metrics
    }

    /// - Parameters:
    ///   - path: the decoded request path (what a signature covers).
    ///   - rawQuery: the query as received, without `?`.
    ///   - client: the client's address, for the per-client transform limit.
    func respond(_ asset: PreparedAsset, source: ImageFormat, path: String, rawQuery: String?, accept: String?,
                 client: SocketAddress? = nil, isHead: Bool, on eventLoop: any EventLoop) -> Answer {
        let plain = asset.identity
        let sourceHash = plain.etag.opaqueTag
        let support = AcceptMedia.imageSupport(accept)
        var request = ImageVariants.RequestKey(urlPath: asset.asset.urlPath, query: rawQuery ?? "", support: support)
        if let v = variants.cached(request, sourceHash: sourceHash) {
            metrics.imageLookups.memory.increment()
            return .variant(v)
        }
        let spec: TransformSpec
        do {
            if let query = try TransformQuery.parse(rawQuery) {
                spec = try TransformSpec.resolve(query, options: options)
                if let signer, !signer.verify(query.signature, payload: spec.signingPayload(path: path)) {
                    return .reply(error(ImageError(status: 403, message: query.signature == nil ? "signature required (s=)" : "invalid signature"),
                                        path: path, isHead: isHead))
                }
            } else if options.autoFormatByDefault {
                // Not a transform: whatever the query holds, the answer is the plain request's.
                spec = try TransformSpec.resolve(TransformQuery(), options: options)
                request = ImageVariants.RequestKey(urlPath: asset.asset.urlPath, query: "", support: support)
                if let v = variants.cached(request, sourceHash: sourceHash) {
                    metrics.imageLookups.memory.increment()
                    return .variant(v)
                }
            } else {
                return .notTransform
            }
        } catch {
            return .reply(self.error(error, path: path, isHead: isHead))
        }
        // GIF and WebP sources may be animated; whether they are is only known from the header, in the job.
        let animated = options.maxAnimationFrames > 1 && (asset.asset.contentType == "image/gif" || source == .webp)
        let choice = FormatNegotiation.choose(spec.format, support: support, source: source, animated: animated)
        let unchanged = spec.width == nil && spec.height == nil && spec.quality == nil
            && choice.format.contentType == asset.asset.contentType
        if unchanged {
            // Nothing to change: the original, saying that it was chosen by Accept when it was.
            guard choice.negotiated else { return .variant(plain) }
            let output = ImageVariants.OutputKey(urlPath: asset.asset.urlPath, name: "original:" + sourceHash, negotiated: true)
            if let v = variants.cached(output) {
                variants.remember(request, sourceHash: sourceHash, output: output)
                return .variant(v)
            }
            let v = PreparedVariant.from(asset.asset, asset.asset.identity, directives: asset.directives, vary: "Accept",
                                         tags: asset.tagFields)
            // A file-backed original shares its descriptor; a memory one was copied into `v`.
            variants.remember(request, sourceHash: sourceHash, output: output, v, sharesBody: plain.memoryBody == nil)
            return .variant(v)
        }
        guard plain.length <= options.maxSourceBytes else {
            return .reply(error(ImageError(status: 422, message: "source image is \(plain.length) bytes, over the limit of \(options.maxSourceBytes)"),
                                path: path, isHead: isHead, negotiated: choice.negotiated))
        }
        let quality = spec.quality ?? options.defaultQuality(choice.format)
        let canonical = spec.canonicalKey(format: choice.format, quality: quality) + "&" + options.outputFingerprint
        let name = ResultCache.name(sourceHash: sourceHash, canonical: canonical,
                                    version: ImagePipeline.version, fileExtension: choice.format.fileExtension)
        let output = ImageVariants.OutputKey(urlPath: asset.asset.urlPath, name: name, negotiated: choice.negotiated)
        if let v = variants.cached(output) {
            // Another spelling of an output already in memory.
            variants.remember(request, sourceHash: sourceHash, output: output)
            metrics.imageLookups.memory.increment()
            return .variant(v)
        }
        // Work for the pool from here on: one client may hold only so much of it.
        let clientKey = ClientTransformLimit.key(client)
        guard perClient.acquire(clientKey) else {
            metrics.imageRejected.increment()
            return .reply(.text(.tooManyRequests, "too many image transforms in progress from your address; retry",
                                extra: (choice.negotiated ? [("Vary", "Accept")] : []) + [("Cache-Control", "no-store"), ("Retry-After", "1")],
                                sendBody: !isHead, route: .image))
        }
        let variants = self.variants, metrics = self.metrics, perClient = self.perClient
        let directives = asset.directives, tags = asset.tagFields
        let produced = variants.produce(name: name, source: plain, spec: spec, format: choice.format, on: eventLoop)
        produced.whenComplete { _ in perClient.release(clientKey) }
        let future = produced
            .map { result -> PreparedVariant in
                switch result.origin {
                case .disk: metrics.imageLookups.disk.increment()
                case .transformed: metrics.imageLookups.transformed.increment()
                }
                let v = PreparedVariant(
                    coding: .identity, etag: EntityTag(result.hash), lastModified: plain.lastModified,
                    contentType: choice.format.contentType, length: result.bytes.count,
                    memoryBody: ByteBuffer(bytes: result.bytes), file: nil, fileIdentity: nil,
                    compressible: false, directives: directives, vary: choice.negotiated ? "Accept" : nil,
                    tags: tags) // the source's tags: purging the source purges its variants
                variants.remember(request, sourceHash: sourceHash, output: output, v)
                return v
            }
        return .pending(future, negotiated: choice.negotiated)
    }

    /// The reply for a failed transform: its status and public message; 503s say when to retry
    /// and are not cached, client and source errors are cached briefly (like a 404).
    func error(_ error: any Error, path: String, isHead: Bool, negotiated: Bool = false) -> Reply {
        let status: Int
        let message: String
        switch error {
        case let e as ImageError:
            status = e.status
            message = e.message
            // A broken source is the site's to fix, a 5xx is ours; libvips' words go to the log only.
            if status == 422 || status >= 500 {
                logger.log(level: status >= 500 ? .warning : .info, "image transform failed", metadata: [
                    "path": "\(path)", "status": "\(status)", "reason": "\(e.message)", "detail": "\(e.detail)"])
            }
        case is BlockingPool.Overloaded:
            metrics.imageRejected.increment()
            status = 503
            message = "image transforms are busy; retry"
        case is ImageVariants.StaleSource:
            status = 503
            message = "file is being changed; retry"
        default:
            status = 500
            message = "image transform failed"
        }
        // An error about a negotiated output varies like the output would have: another client
        // may get the original instead.
        var extra: [(String, String)] = negotiated ? [("Vary", "Accept")] : []
        if status >= 500 {
            extra.append(("Cache-Control", "no-store"))
            if status == 503 { extra.append(("Retry-After", "1")) }
        } else {
            // Cached like a 404, and purged with the source.
            extra += PreparedVariant.cacheFields(policy.notFoundDirectives(forPath: path)) + tagPolicy.fields(forPath: path)
        }
        return .text(HTTPResponseStatus(statusCode: status), message, extra: extra, sendBody: !isHead, route: .image)
    }
}
