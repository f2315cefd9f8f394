import CWharfVips

/// An encoded output image.
public struct EncodedImage: Sendable {
    public let bytes: [UInt8]
    public let width: Int
    public let height: Int
    public let format: ImageFormat
    /// 1, or the frames of an animated output (`height` is one frame's).
    public let frames: Int
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
                          frames: frames(header, plan: plan, format: format), timeout: timeout ?? options.timeout)
    }

    /// Frames to keep: several only for WebP output of an animated source, when the knob allows
    /// it, for a plain resize (a crop or pad would cut across the stacked frames), and never more
    /// than the pixel limit holds.
    func frames(_ header: SourceHeader, plan: ResizePlan, format: ImageFormat) -> Int {
        guard header.pages > 1, options.maxAnimationFrames > 1, format == .webp, plan.finish == .none else { return 1 }
        let fit = max(1, options.maxSourcePixels / max(1, header.width * header.height))
        return min(header.pages, options.maxAnimationFrames, fit)
    }

    func render(_ source: [UInt8], plan: ResizePlan, format: ImageFormat, quality: Int, frames: Int,
                timeout: Double) throws(ImageError) -> EncodedImage {
        // No vips_thread_shutdown per job: the pool's threads live as long as the process, and
        // libvips says calling it often costs (its per-thread buffers would be rebuilt each time).
        let deadline = wharf_vips_monotonic_us() + Int64(timeout * 1_000_000)
        let scaled = try ResizeStage.run(source, plan: plan, frames: frames)
        // Armed on the first image, before the stages derive theirs from it: every computation
        // (smartcrop's render to memory as well as the save) reports progress to it.
        EncodeStage.arm(scaled, deadline: deadline)
        let finished = try CropStage.run(scaled, source: source, plan: plan, format: format, deadline: deadline)
        let coloured = try ColourStage.run(finished, format: format)
        let settings = EncodeStage.Settings(quality: quality, webpEffort: options.webpEffort, avifEffort: options.avifEffort,
                                            jpegProgressive: options.jpegProgressive, pngCompression: options.pngCompression)
        let bytes = try EncodeStage.run(coloured, source: source, frames: frames, format: format, settings: settings, deadline: deadline)
        return EncodedImage(bytes: bytes, width: coloured.width, height: plan.outputHeight, format: format, frames: frames)
    }
}
