import CWharfVips

/// An encoded output image.
public struct EncodedImage: Sendable {
    public let bytes: [UInt8]
    public let width: Int
    public let height: Int
    public let format: ImageFormat
}

/// The transform pipeline as an ordered list of small stages:
/// load (header and limits) → orient → resize → crop/pad → colour → encode.
///
/// Blocking and CPU-bound: run it on a bounded pool, never on an event loop.
public struct ImagePipeline: Sendable {
    /// Bumped whenever the same inputs would give different output bytes; part of every result-cache key.
    public static let version = 1

    public let options: ImageOptions

    public init(options: ImageOptions) {
        self.options = options
    }

    /// Reads the source's header and applies the source limits.
    public func probe(_ source: [UInt8]) throws(ImageError) -> SourceHeader {
        try LoadStage.probe(source, options: options)
    }

    /// The geometry for `spec` on this source.
    public func plan(_ header: SourceHeader, spec: TransformSpec) throws(ImageError) -> ResizePlan {
        let (w, h) = OrientStage.displayedSize(header)
        return try ResizePlan.make(sourceWidth: w, sourceHeight: h, spec: spec,
                                   allowUpscale: options.allowUpscale, maxDimension: options.maxOutputDimension)
    }

    /// Runs every stage. `timeout` (seconds, default `options.timeout`) bounds the computation.
    public func render(_ source: [UInt8], spec: TransformSpec, format: ImageFormat,
                       timeout: Double? = nil) throws(ImageError) -> EncodedImage {
        let header = try probe(source)
        let plan = try plan(header, spec: spec)
        return try render(source, plan: plan, format: format, quality: spec.quality ?? options.defaultQuality(format),
                          timeout: timeout ?? options.timeout)
    }

    func render(_ source: [UInt8], plan: ResizePlan, format: ImageFormat, quality: Int, timeout: Double) throws(ImageError) -> EncodedImage {
        // No vips_thread_shutdown per job: the pool's threads live as long as the process, and
        // libvips says calling it often costs (its per-thread buffers would be rebuilt each time).
        let deadline = wharf_vips_monotonic_us() + Int64(timeout * 1_000_000)
        let scaled = try ResizeStage.run(source, plan: plan)
        let finished = try CropStage.run(scaled, plan: plan, format: format)
        let coloured = try ColourStage.run(finished, format: format)
        let settings = EncodeStage.Settings(quality: quality, webpEffort: options.webpEffort, avifEffort: options.avifEffort,
                                            jpegProgressive: options.jpegProgressive, pngCompression: options.pngCompression)
        let bytes = try EncodeStage.run(coloured, source: source, format: format, settings: settings, deadline: deadline)
        return EncodedImage(bytes: bytes, width: coloured.width, height: coloured.height, format: format)
    }
}
