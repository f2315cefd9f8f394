/// A big-endian cursor over bytes already in memory (a `moov` or `moof` box), with every read
/// bounds-checked: a box that claims more than it holds is a ``MediaError/malformed(_:)``.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int
    /// Where `bytes[0]` sits in the file, for error messages and `moof`-relative offsets.
    let fileOffset: UInt64

    init(_ bytes: [UInt8], fileOffset: UInt64 = 0) {
        self.bytes = bytes
        position = 0
        end = bytes.count
        self.fileOffset = fileOffset
    }

    private init(bytes: [UInt8], position: Int, end: Int, fileOffset: UInt64) {
        self.bytes = bytes
        self.position = position
        self.end = end
        self.fileOffset = fileOffset
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position >= end }
    /// The file offset of the next byte.
    var filePosition: UInt64 { fileOffset + UInt64(position) }

    private mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws(MediaError) {
        guard n >= 0, n <= remaining else {
            throw .malformed("\(what()) at offset \(filePosition) runs past the end of its box")
        }
    }

    mutating func u8(_ what: String = "field") throws(MediaError) -> UInt8 {
        try need(1, what)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16(_ what: String = "field") throws(MediaError) -> UInt16 {
        try need(2, what)
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func u24(_ what: String = "field") throws(MediaError) -> UInt32 {
        try need(3, what)
        defer { position += 3 }
        return UInt32(bytes[position]) << 16 | UInt32(bytes[position + 1]) << 8 | UInt32(bytes[position + 2])
    }

    mutating func u32(_ what: String = "field") throws(MediaError) -> UInt32 { try bigEndian(what) }

    mutating func u64(_ what: String = "field") throws(MediaError) -> UInt64 { try bigEndian(what) }

    /// The next `T.bitWidth / 8` bytes as a big-endian integer.
    private mutating func bigEndian<T: FixedWidthInteger & UnsignedInteger>(_ what: String) throws(MediaError) -> T {
        let n = T.bitWidth / 8
        try need(n, what)
        defer { position += n }
        var v: T = 0
        for i in 0..<n { v = v << 8 | T(bytes[position + i]) }
        return v
    }

    mutating func skip(_ n: Int, _ what: String = "field") throws(MediaError) {
        try need(n, what)
        position += n
    }

    mutating func read(_ n: Int, _ what: String = "field") throws(MediaError) -> [UInt8] {
        try need(n, what)
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    /// Checks that `count` entries of `size` bytes each fit in what is left, before anything is
    /// allocated for them: a table claiming four billion entries fails here, cheaply.
    func requireEntries(_ count: UInt32, of size: Int, _ what: String) throws(MediaError) {
        guard UInt64(count) * UInt64(size) <= UInt64(remaining) else {
            throw .malformed("\(what) claims \(count) entries but its box holds \(remaining / max(size, 1))")
        }
    }

    /// The next box inside this reader: its type, a reader over its body, and its whole bytes'
    /// range; nil at the end. Sizes 0 (to the end) and 1 (64-bit) are handled.
    mutating func nextBox() throws(MediaError) -> (type: FourCC, body: ByteReader, start: Int)? {
        guard remaining > 0 else { return nil }
        let start = position
        guard remaining >= 8 else { throw .malformed("a box header at offset \(filePosition) is cut short") }
        let size32 = try u32()
        let type = FourCC(try u32())
        var size = UInt64(size32)
        if size32 == 1 {
            size = try u64("64-bit size of \(type)")
        } else if size32 == 0 {
            size = UInt64(end - start)
        }
        let header = position - start
        guard size >= UInt64(header), size <= UInt64(end - start) else {
            throw .malformed("box \(type) at offset \(fileOffset + UInt64(start)) claims \(size) bytes, past the end of its parent")
        }
        let boxEnd = start + Int(size)
        let body = ByteReader(bytes: bytes, position: position, end: boxEnd, fileOffset: fileOffset)
        position = boxEnd
        return (type, body, start)
    }

    /// The first child box of `type`, or nil.
    func child(_ type: FourCC) throws(MediaError) -> ByteReader? {
        var r = self
        while let box = try r.nextBox() {
            if box.type == type { return box.body }
        }
        return nil
    }

    /// The bytes from `start` (an index into ``bytes``) to the current end: a whole box, header included.
    func wholeBox(from start: Int) -> [UInt8] { Array(bytes[start..<end]) }
}
