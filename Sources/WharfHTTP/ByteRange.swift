/// A satisfiable byte range of a representation: `length` bytes starting at `offset`.
public struct ByteRange: Equatable, Sendable {
    /// The first byte position (zero-based).
    public let offset: Int
    /// The number of bytes; always at least 1 for ranges produced by ``RangeSelection``.
    public let length: Int

    /// Creates a range of `length` bytes starting at `offset`.
    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    /// The last byte position (inclusive).
    public var lastByte: Int { offset + length - 1 }

    /// The Content-Range field value for this range, e.g. `bytes 0-99/1000`.
    public func contentRange(completeLength: Int) -> String {
        "bytes \(offset)-\(lastByte)/\(completeLength)"
    }
}
