/// The geometry of a transform, computed from the source's displayed size (after EXIF
/// orientation) and the spec: the size libvips scales to, then an optional crop or pad.
/// Pure arithmetic, so every `fit` is unit-tested without images.
public struct ResizePlan: Sendable, Equatable {
    /// What follows the scale step.
    public enum Finish: Sendable, Equatable {
        case none
        /// Keep this box of the scaled image.
        case crop(x: Int, y: Int, width: Int, height: Int)
        /// libvips smartcrop to this size.
        case smartCrop(width: Int, height: Int, gravity: Gravity)
        /// Place the scaled image at (x, y) on a canvas of this size.
        case pad(x: Int, y: Int, width: Int, height: Int)
    }

    /// Size the source is scaled to (exactly; the aspect was already decided).
    public let scaledWidth: Int
    public let scaledHeight: Int
    public let finish: Finish

    public var outputWidth: Int {
        switch finish {
        case .none: scaledWidth
        case .crop(_, _, let w, _), .smartCrop(let w, _, _), .pad(_, _, let w, _): w
        }
    }

    public var outputHeight: Int {
        switch finish {
        case .none: scaledHeight
        case .crop(_, _, _, let h), .smartCrop(_, let h, _), .pad(_, _, _, let h): h
        }
    }

    public init(scaledWidth: Int, scaledHeight: Int, finish: Finish = .none) {
        self.scaledWidth = scaledWidth
        self.scaledHeight = scaledHeight
        self.finish = finish
    }

    /// Plans `spec` for a source displayed at `width`×`height`.
    ///
    /// Without upscaling, scale factors are capped at 1: `cover` then crops to the box clipped
    /// to the source, `contain` pads the unscaled image to the full box, `fill` caps each axis.
    public static func make(sourceWidth width: Int, sourceHeight height: Int, spec: TransformSpec,
                            allowUpscale: Bool, maxDimension: Int) throws(ImageError) -> ResizePlan {
        precondition(width > 0 && height > 0)
        let W = Double(width), H = Double(height)
        func cap(_ s: Double) -> Double { allowUpscale ? s : min(s, 1) }
        func size(_ v: Double) -> Int { max(1, Int(v.rounded())) }
        let plan: ResizePlan
        switch (spec.targetWidth, spec.targetHeight) {
        case (nil, nil):
            // A conversion without a size: the source as it is, shrunk to fit the output limit.
            let s = min(1, Double(maxDimension) / Double(max(width, height)))
            plan = ResizePlan(scaledWidth: s == 1 ? width : size(W * s), scaledHeight: s == 1 ? height : size(H * s))
        case (let tw?, nil):
            let s = cap(Double(tw) / W)
            plan = ResizePlan(scaledWidth: s == Double(tw) / W ? tw : size(W * s), scaledHeight: size(H * s))
        case (nil, let th?):
            let s = cap(Double(th) / H)
            plan = ResizePlan(scaledWidth: size(W * s), scaledHeight: s == Double(th) / H ? th : size(H * s))
        case (let tw?, let th?):
            let sx = Double(tw) / W, sy = Double(th) / H
            // The binding axis gets the asked size exactly, the other is rounded.
            func scaled(_ s: Double) -> (Int, Int) { (s == sx ? tw : size(W * s), s == sy ? th : size(H * s)) }
            switch spec.fit {
            case .fill:
                plan = ResizePlan(scaledWidth: allowUpscale ? tw : min(tw, width),
                                  scaledHeight: allowUpscale ? th : min(th, height))
            case .inside:
                let (w, h) = scaled(cap(min(sx, sy)))
                plan = ResizePlan(scaledWidth: min(w, tw), scaledHeight: min(h, th))
            case .outside:
                let (w, h) = scaled(cap(max(sx, sy)))
                plan = ResizePlan(scaledWidth: w, scaledHeight: h)
            case .contain:
                var (w, h) = scaled(cap(min(sx, sy)))
                w = min(w, tw)
                h = min(h, th)
                plan = ResizePlan(scaledWidth: w, scaledHeight: h,
                                  finish: w == tw && h == th ? .none : .pad(x: (tw - w) / 2, y: (th - h) / 2, width: tw, height: th))
            case .cover:
                let (w, h) = scaled(cap(max(sx, sy)))
                let cw = min(tw, w), ch = min(th, h)
                if cw == w && ch == h {
                    plan = ResizePlan(scaledWidth: w, scaledHeight: h)
                } else if spec.gravity.isSmart {
                    plan = ResizePlan(scaledWidth: w, scaledHeight: h, finish: .smartCrop(width: cw, height: ch, gravity: spec.gravity))
                } else {
                    let (x, y) = offset(spec.gravity, free: (w - cw, h - ch))
                    plan = ResizePlan(scaledWidth: w, scaledHeight: h, finish: .crop(x: x, y: y, width: cw, height: ch))
                }
            }
        }
        // The output must fit the limit; a scaled intermediate that is cropped down (a panorama
        // under `cover`) may be wider, but not hold more pixels than a limit-sized square.
        let limit = maxDimension
        if plan.outputWidth > limit || plan.outputHeight > limit {
            throw ImageError(status: 400, message: "output would be \(plan.outputWidth)×\(plan.outputHeight) px, over the limit of \(limit)")
        }
        if plan.scaledWidth * plan.scaledHeight > limit * limit {
            throw ImageError(status: 400, message: "intermediate of \(plan.scaledWidth)×\(plan.scaledHeight) px is over \(limit)×\(limit) pixels")
        }
        return plan
    }

    /// Crop offset in the free space for a compass gravity.
    static func offset(_ g: Gravity, free: (Int, Int)) -> (Int, Int) {
        let (fx, fy) = free
        switch g {
        case .north: return (fx / 2, 0)
        case .south: return (fx / 2, fy)
        case .east: return (fx, fy / 2)
        case .west: return (0, fy / 2)
        case .northeast: return (fx, 0)
        case .northwest: return (0, 0)
        case .southeast: return (fx, fy)
        case .southwest: return (0, fy)
        case .center, .attention, .entropy: return (fx / 2, fy / 2)
        }
    }
}
