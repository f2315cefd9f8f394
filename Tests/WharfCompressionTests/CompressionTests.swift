import Testing
@testable import WharfCompression

@Suite struct CompressionTests {
    let text = Array(String(repeating: "body { color: #333; margin: 0 auto; } /* wharf */\n", count: 200).utf8)

    @Test func brotliRoundTripsAndShrinksText() throws {
        let packed = try Brotli.compress(text)
        #expect(packed.count < text.count / 10)
        #expect(try Brotli.decompress(packed) == text)
    }

    @Test func gzipRoundTripsWithADeterministicHeader() throws {
        let packed = try Gzip.compress(text)
        #expect(packed.prefix(3) == [0x1f, 0x8b, 0x08])
        #expect(packed[4..<8] == [0, 0, 0, 0]) // mtime 0: same bytes on every machine
        #expect(try Gzip.compress(text) == packed)
        #expect(try Gzip.decompress(packed) == text)
    }

    @Test func emptyInputRoundTrips() throws {
        #expect(try Brotli.decompress(try Brotli.compress([])) == [])
        #expect(try Gzip.decompress(try Gzip.compress([])) == [])
    }

    @Test func corruptInputThrows() {
        #expect(throws: CompressionError.self) { try Gzip.decompress([0x1f, 0x8b, 0x08, 0, 1, 2, 3]) }
        #expect(throws: CompressionError.self) { try Brotli.decompress([0xff, 0xff, 0xff, 0xff]) }
    }

    @Test func decompressionBombIsRefused() throws {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let packed = try Gzip.compress(zeros)
        #expect(throws: CompressionError.self) { try Gzip.decompress(packed, limit: 1000) }
        let brPacked = try Brotli.compress(zeros)
        #expect(throws: CompressionError.self) { try Brotli.decompress(brPacked, limit: 1000) }
    }
}
