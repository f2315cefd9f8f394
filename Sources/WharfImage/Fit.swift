/// How the image fills a box given by both width and height (sharp's meanings).
public enum Fit: String, Sendable, CaseIterable, Hashable {
    /// Fill the box, cropping what sticks out (at the gravity).
    case cover
    /// Fit inside the box, then pad (letterbox) to exactly the box.
    case contain
    /// Exactly the box, ignoring the aspect ratio.
    case fill
    /// As large as possible inside the box, aspect kept, no padding.
    case inside
    /// As small as possible covering the box, aspect kept, no cropping.
    case outside
}

/// Where a `cover` crop keeps the image, or how it finds the interesting part.
public enum Gravity: String, Sendable, CaseIterable, Hashable {
    case center, north, south, east, west, northeast, northwest, southeast, southwest
    /// libvips smartcrop: the region with the most skin tones, saturation and edges.
    case attention
    /// libvips smartcrop: the region with the highest entropy.
    case entropy

    /// Parses a gravity name, also the British `centre` and sharp's `centre`.
    public init?(name: String) {
        if name == "centre" { self = .center; return }
        self.init(rawValue: name)
    }

    var isSmart: Bool { self == .attention || self == .entropy }
}
