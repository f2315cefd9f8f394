import Foundation
import Testing
@testable import WharfServer

/// The on-disk result cache on its own: atomic writes, LRU bound, recency across a reopen.
@Suite struct ResultCacheTests {
    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("wharf-rc-\(UUID().uuidString)").path
    }

    static func name(_ i: Int) -> String {
        ResultCache.name(sourceHash: "src", canonical: "w=\(i)", version: 1, fileExtension: "webp")
    }

    @Test func namesAreContentAddressed() {
        let a = ResultCache.name(sourceHash: "abc", canonical: "w=1&fm=webp&q=80", version: 1, fileExtension: "webp")
        #expect(a.count == 64 + 5 && a.hasSuffix(".webp"))
        #expect(a == ResultCache.name(sourceHash: "abc", canonical: "w=1&fm=webp&q=80", version: 1, fileExtension: "webp"))
        #expect(a != ResultCache.name(sourceHash: "abd", canonical: "w=1&fm=webp&q=80", version: 1, fileExtension: "webp"))
        #expect(a != ResultCache.name(sourceHash: "abc", canonical: "w=1&fm=webp&q=80", version: 2, fileExtension: "webp"))
    }

    @Test func evictsTheLeastRecentlyUsedDownToTheBound() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 10 entries of 1000 bytes fit in 10,000; the 11th evicts down to 90 %.
        let cache = try ResultCache(directory: dir, maxBytes: 10_000)
        let blob = [UInt8](repeating: 7, count: 1000)
        for i in 0..<10 { cache.write(Self.name(i), blob) }
        #expect(cache.count == 10 && cache.bytes == 10_000)
        #expect(cache.read(Self.name(0)) == blob) // now the most recently used
        cache.write(Self.name(10), blob)
        #expect(cache.bytes <= 9_000)
        #expect(cache.read(Self.name(0)) != nil)
        #expect(cache.read(Self.name(10)) != nil)
        #expect(cache.read(Self.name(1)) == nil && cache.read(Self.name(2)) == nil)
        // Evicted files are gone from disk, kept ones are there; nothing in tmp/.
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix(".webp") }
        #expect(files.count == cache.count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp").isEmpty)
        // An entry larger than a quarter of the bound is not stored.
        cache.write(Self.name(99), [UInt8](repeating: 1, count: 3000))
        #expect(cache.read(Self.name(99)) == nil)
    }

    @Test func reopeningIndexesWhatIsThereAndRemovesTempFiles() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let cache = try ResultCache(directory: dir, maxBytes: 1 << 20)
            cache.writeLater(Self.name(1), [1, 2, 3])
            // Readable while queued, then on disk once flushed.
            #expect(cache.read(Self.name(1)) == [1, 2, 3])
            cache.flush()
        }
        // A crash mid-write leaves a temp file: the next start removes it once it is old (a recent
        // one may be another replica's write in progress).
        let leftover = dir + "/tmp/leftover.tmp", recent = dir + "/tmp/recent.tmp"
        try Data([9, 9]).write(to: URL(fileURLWithPath: leftover))
        try Data([9]).write(to: URL(fileURLWithPath: recent))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: leftover)
        let again = try ResultCache(directory: dir, maxBytes: 1 << 20)
        #expect(again.count == 1 && again.bytes == 3)
        #expect(again.read(Self.name(1)) == [1, 2, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp") == ["recent.tmp"])
        // An entry another process wrote after this one indexed the directory is still found.
        let other = try ResultCache(directory: dir, maxBytes: 1 << 20)
        other.write(Self.name(2), [4, 5])
        #expect(again.read(Self.name(2)) == [4, 5])
    }
}
