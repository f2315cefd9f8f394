/// A validated transform: what to make of the source image, independent of the source and of
/// the client's `Accept` (those are resolved later, by ``ResizePlan`` and ``FormatNegotiation``).
public struct TransformSpec: Sendable, Hashable {
    /// The output format asked for.
    public enum FormatChoice: Sendable, Hashable {
        /// Picked from the client's `Accept` (the response then varies on it).
        case auto
        case fixed(ImageFormat)
    }

    /// Requested size in CSS pixels (before `dpr`).
    public var width: Int?
    public var height: Int?
    public var fit: Fit = .cover
    public var gravity: Gravity = .center
    /// nil: the source's own format.
    public var format: FormatChoice?
    /// nil: the format's default.
    public var quality: Int?
    public var dpr: Double = 1
    /// The parameters as the URL gave them, normalised and sorted (`fm=webp&w=640`): what is signed.
    public private(set) var normalizedQuery = ""

    public init() {}

    /// Validates `query` (applying its preset first) against `options`.
    public static func resolve(_ query: TransformQuery, options: ImageOptions) throws(ImageError) -> TransformSpec {
        var spec = TransformSpec()
        var given: [(TransformQuery.Name, String)] = []
        if let name = query.values[.preset] {
            guard let preset = options.presets[name] else { throw .badParameter("preset", "unknown preset \"\(name.prefix(64))\"") }
            for (key, value) in preset {
                // Presets were checked when the configuration was loaded.
                guard let n = TransformQuery.aliases[key], n != .preset else { continue }
                _ = try spec.apply(n, value, options: options)
            }
            given.append((.preset, name))
        }
        for name in query.values.keys.sorted() where name != .preset {
            let normal = try spec.apply(name, query.values[name]!, options: options)
            given.append((name, normal))
        }
        if spec.format == nil, options.autoFormatByDefault { spec.format = .auto }
        // The allow-list bounds the outputs, so it applies to the width in device pixels (w × dpr).
        if !options.allowedWidths.isEmpty, let w = spec.targetWidth, !options.allowedWidths.contains(w) {
            throw .badParameter("w", "must be one of \(options.allowedWidths.map(String.init).joined(separator: ", "))"
                                + (spec.dpr == 1 ? "" : " (after dpr)"))
        }
        for (name, value) in [("w", spec.targetWidth), ("h", spec.targetHeight)] {
            if let value, value > options.maxOutputDimension {
                throw .badParameter(name, "\(value) px with dpr is over the limit of \(options.maxOutputDimension)")
            }
        }
        spec.normalizedQuery = given.sorted { $0.0 < $1.0 }.map { "\($0.0.rawValue)=\($0.1)" }.joined(separator: "&")
        return spec
    }

    /// Sets one parameter from its text and returns the value's normal spelling.
    private mutating func apply(_ name: TransformQuery.Name, _ text: String, options: ImageOptions) throws(ImageError) -> String {
        switch name {
        case .w, .h:
            guard let v = Self.integer(text), (1...options.maxOutputDimension).contains(v) else {
                throw .badParameter(name.rawValue, "must be a whole number of pixels from 1 to \(options.maxOutputDimension)")
            }
            if name == .w { width = v } else { height = v }
            return String(v)
        case .fit:
            guard let f = Fit(rawValue: text) else {
                throw .badParameter("fit", "must be one of \(Fit.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            fit = f
            return f.rawValue
        case .g:
            guard let g = Gravity(name: text) else {
                throw .badParameter("gravity", "must be one of \(Gravity.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            gravity = g
            return g.rawValue
        case .fm:
            switch text {
            case "auto": format = .auto
            case "jpg": format = .fixed(.jpeg)
            default:
                guard let f = ImageFormat(rawValue: text) else {
                    throw .badParameter("format", "must be one of auto, avif, webp, jpeg, png")
                }
                format = .fixed(f)
            }
            if case .fixed(let f) = format { return f.rawValue }
            return "auto"
        case .q:
            guard let v = Self.integer(text), (1...100).contains(v) else {
                throw .badParameter("quality", "must be a whole number from 1 to 100")
            }
            quality = v
            return String(v)
        case .dpr:
            guard let (v, normal) = Self.decimal(text), v >= 1, v <= 4 else {
                throw .badParameter("dpr", "must be a number from 1 to 4 (at most 3 decimals)")
            }
            dpr = v
            return normal
        case .preset:
            throw .badParameter("preset", "a preset cannot name another preset")
        }
    }

    /// Width in device pixels: `w × dpr`, rounded.
    public var targetWidth: Int? { width.map { Int((Double($0) * dpr).rounded()) } }
    public var targetHeight: Int? { height.map { Int((Double($0) * dpr).rounded()) } }

    /// What `s=` signs: the decoded path, then `?` and the normalised query when there is one.
    public func signingPayload(path: String) -> String {
        normalizedQuery.isEmpty ? path : path + "?" + normalizedQuery
    }

    /// The canonical description of the output, used in result-cache keys: aliases, order,
    /// `dpr` and defaults are gone, so every URL meaning the same output shares one entry.
    public func canonicalKey(format: ImageFormat, quality: Int) -> String {
        var parts: [String] = []
        if let w = targetWidth { parts.append("w=\(w)") }
        if let h = targetHeight { parts.append("h=\(h)") }
        if targetWidth != nil && targetHeight != nil {
            // With one dimension every fit scales to it; only a box needs the mode.
            parts.append("fit=\(fit.rawValue)")
            if fit == .cover { parts.append("g=\(gravity.rawValue)") }
        }
        parts.append("fm=\(format.rawValue)")
        if format != .png { parts.append("q=\(quality)") }
        return parts.joined(separator: "&")
    }

    /// A plain decimal integer (no sign, at most 7 digits).
    static func integer(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 7, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// `d+(.d{1,3})?` and its shortest spelling ("2.50" → "2.5", "2.0" → "2").
    static func decimal(_ text: String) -> (Double, String)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = integer(String(parts[0])) else { return nil }
        var fraction = ""
        if parts.count == 2 {
            let f = parts[1]
            guard !f.isEmpty, f.count <= 3, f.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            fraction = String(f)
            while fraction.hasSuffix("0") { fraction.removeLast() }
        }
        let normal = fraction.isEmpty ? String(whole) : "\(whole).\(fraction)"
        guard let value = Double(normal) else { return nil }
        return (value, normal)
    }
}
