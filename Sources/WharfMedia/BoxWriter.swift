/// Builds big-endian box bytes: `box("moof") { … }` writes the header and patches the size.
struct BoxWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    mutating func u24(_ v: UInt32) { for s in [16, 8, 0] { bytes.append(UInt8(v >> UInt32(s) & 0xff)) } }
    mutating func u32(_ v: UInt32) { for s in [24, 16, 8, 0] { bytes.append(UInt8(v >> UInt32(s) & 0xff)) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(v >> UInt64(s) & 0xff)) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }
    mutating func fourCC(_ c: FourCC) { append(c.bytes) }

    /// A box of `type` whose content `body` writes.
    mutating func box(_ type: FourCC, _ body: (inout BoxWriter) -> Void) {
        let start = bytes.count
        u32(0)
        fourCC(type)
        body(&self)
        let size = UInt32(bytes.count - start)
        for (i, s) in [24, 16, 8, 0].enumerated() { bytes[start + i] = UInt8(size >> UInt32(s) & 0xff) }
    }

    /// A full box: version and flags, then `body`.
    mutating func fullBox(_ type: FourCC, version: UInt8, flags: UInt32, _ body: (inout BoxWriter) -> Void) {
        box(type) { w in
            w.u8(version)
            w.u24(flags)
            body(&w)
        }
    }

    /// The unity transformation matrix of `mvhd` and `tkhd`.
    mutating func unityMatrix() {
        for v: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] { u32(v) }
    }
}
