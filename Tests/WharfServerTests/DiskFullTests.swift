import Foundation
import Testing
import WharfImage
@testable import WharfServer

/// A full disk under the image result cache and the purge journal (issue #7): a 4 MiB tmpfs,
/// filled to ENOSPC while the server runs. Static files and transforms are still answered
/// (variants from memory, not stored), no partial file is left in the cache, the purge API says
/// 503 + Retry-After rather than accept a purge it cannot journal, and once space is freed
/// the cache stores again and purges are accepted: all without a restart.
///
/// Needs root (to mount a tmpfs); CI and the fresh-machine run are root.
@Suite(.serialized, .enabled(if: geteuid() == 0, "mounting a tmpfs needs root")) struct DiskFullTests {
    static func sh(_ command: String) throws -> Int32 {
        try run("/bin/sh", ["-c", command]).status
    }

    /// Files under `dir` (recursively), ignoring directories.
    static func files(_ dir: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        return e.compactMap { $0 as? String }.filter {
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path, isDirectory: &d) && !d.boolValue
        }
    }

    @Test func aFullCacheVolumeServesUncachedRefusesPurgesWith503AndRecovers() async throws {
        let dir = try CLITests.tempDir()
        let volume = dir.appendingPathComponent("vol")
        try FileManager.default.createDirectory(at: volume, withIntermediateDirectories: true)
        #expect(try Self.sh("mount -t tmpfs -o size=4m wharf-test \(volume.path)") == 0, "mount failed")
        defer {
            if (try? Self.sh("umount \(volume.path)")) != 0 { _ = try? Self.sh("umount -l \(volume.path)") }
            try? FileManager.default.removeItem(at: dir)
        }
        let photo = try [UInt8](Data(contentsOf: HLSTests.repo.appendingPathComponent("public/img/rocket.jpg")))
        let s = try await TestServer(files: ["photo.jpg": photo, "a.css": Array("body{color:red}".utf8)]) { c in
            c.images.cacheDirectory = volume.appendingPathComponent("cache").path
            c.purge.stateDirectory = volume.appendingPathComponent("state").path
            c.purge.tokens = [PurgeAPITests.token]
        }
        let client = try Client()
        let cache = volume.appendingPathComponent("cache")

        // Fill the volume: a filler file until ENOSPC.
        #expect(try Self.sh("dd if=/dev/zero of=\(volume.path)/filler bs=64k 2>/dev/null; sync") != -1)
        #expect(try Self.sh("dd if=/dev/zero of=\(volume.path)/probe bs=4k count=1 2>/dev/null") != 0, "the volume is not full")

        // Static files and transforms are still answered; the variants decode.
        #expect(try await client.get(s.base + "/a.css").status == 200)
        try Vips.initialize()
        let pipeline = ImagePipeline(options: ImageOptions())
        for w in [120, 160, 200] {
            let got = try await client.get(s.base + "/photo.jpg?w=\(w)&fm=webp")
            #expect(got.status == 200, "w=\(w): \(got.status) \(got.text.prefix(200))")
            #expect((try? pipeline.probe(got.body))?.width == w)
        }
        // The writes behind those responses failed, were counted, and left nothing behind.
        var errors = 0
        for _ in 0..<100 where errors < 3 {
            errors = try await ImageFlowTests.metric(client, s, "wharf_image_cache_write_errors_total", "")
            if errors < 3 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(errors >= 3, "write errors counted: \(errors)")
        #expect(Self.files(cache).isEmpty, "files left in the cache on a full disk: \(Self.files(cache))")

        // A purge that cannot be journaled is refused, with a retry hint, not accepted and lost.
        let body = #"{"urls":["/a.css"]}"#
        let auth = [("Authorization", "Bearer \(PurgeAPITests.token)")]
        let refused = try await client.send("http://127.0.0.1:\(s.adminPort)/purge", method: .POST, body: body, auth)
        #expect(refused.status == 503 && refused.h("retry-after") != nil, "\(refused.status) \(refused.text)")

        // Space comes back: the next variant is stored and the purge is accepted.
        try FileManager.default.removeItem(at: volume.appendingPathComponent("filler"))
        let fresh = try await client.get(s.base + "/photo.jpg?w=240&fm=webp")
        #expect(fresh.status == 200)
        var stored: [String] = []
        for _ in 0..<100 where stored.isEmpty {
            stored = Self.files(cache).filter { !$0.hasPrefix("tmp/") }
            if stored.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(stored.count == 1, "cache after recovery: \(stored)")
        let accepted = try await client.send("http://127.0.0.1:\(s.adminPort)/purge", method: .POST, body: body, auth)
        #expect(accepted.status == 200 || accepted.status == 202, "\(accepted.status) \(accepted.text)")
        try await client.shutdown()
        await s.stop() // before the volume is unmounted
    }
}
