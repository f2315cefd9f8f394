/// Output formats the pipeline writes.
public enum ImageFormat: String, Sendable, CaseIterable, Hashable {
    case avif, webp, jpeg, png

    /// The Content-Type of a response in this format.
    public var contentType: String {
        switch self {
        case .avif: "image/avif"
        case .webp: "image/webp"
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        }
    }

    /// File extension used for the result cache.
    public var fileExtension: String { rawValue }

    /// Whether the format can carry transparency (JPEG cannot: alpha is flattened onto white).
    public var supportsAlpha: Bool { self != .jpeg }

    /// The format a source of this Content-Type is written back in when no other is asked for.
    /// GIF comes out as PNG (its first frame), since Wharf does not write GIF.
    public static func forSource(contentType: String) -> ImageFormat? {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        switch type {
        case "image/jpeg": return .jpeg
        case "image/png", "image/apng", "image/gif": return .png
        case "image/webp": return .webp
        case "image/avif": return .avif
        default: return nil
        }
    }
}
