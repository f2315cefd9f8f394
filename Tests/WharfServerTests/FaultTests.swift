import Foundation
import Testing
import WharfImage

/// Faults (issue #7): the `wharf` binary killed with SIGKILL in the middle of its work.
@Suite struct FaultTests {
    /// Transforms are requested and the server is killed at varied moments, five times; the result
    /// cache it leaves holds only whole images (temp file + fsync + rename), and a restarted server
    /// answers every URL with an image that decodes.
    @Test func aKilledServerNeverLeavesATornCachedImage() async throws {
        let dir = try CLITests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: HLSTests.repo.appendingPathComponent("public/img/hubble_deep_field.jpg"),
                                         to: root.appendingPathComponent("photo.jpg"))
        let urls = (0..<12).map { i in "/photo.jpg?w=\(300 + 40 * i)&fm=\(i % 2 == 0 ? "avif" : "webp")" }
        let client = try Client()
        func start() async throws -> (CLITests.Launched, String) {
            let port = freePort(), admin = freePort()
            let server = try CLITests.launch(["serve", "--root", "root", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(admin)",
                                              "--state-dir", "state"], cwd: dir,
                                             env: ["WHARF_LOG_ACCESS": "off", "WHARF_IMAGES_CACHE_DIR": "cache"])
            for _ in 0..<400 {
                if (try? await client.get("http://127.0.0.1:\(admin)/readyz"))?.status == 200 { return (server, "http://127.0.0.1:\(port)") }
                try await Task.sleep(for: .milliseconds(25))
            }
            throw TestFailure("wharf serve did not start: \(server.log)")
        }
        do {
            for round in 0..<5 {
                let (server, base) = try await start()
                // All transforms at once; the kill lands while some are encoding or being written.
                let requests = Task {
                    await withTaskGroup(of: Void.self) { group in
                        for url in urls.shuffled() { group.addTask { _ = try? await client.get(base + url) } }
                    }
                }
                try await Task.sleep(for: .milliseconds(150 + 120 * round))
                kill(server.process.processIdentifier, SIGKILL)
                server.process.waitUntilExit()
                _ = await requests.value
            }
            // Whatever is in the cache (outside tmp/) is a whole image.
            let cache = dir.appendingPathComponent("cache")
            let pipeline = ImagePipeline(options: ImageOptions())
            try Vips.initialize()
            var cached = 0
            for shard in try FileManager.default.contentsOfDirectory(atPath: cache.path) where shard != "tmp" {
                let shardURL = cache.appendingPathComponent(shard)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: shardURL.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
                for name in try FileManager.default.contentsOfDirectory(atPath: shardURL.path) {
                    let bytes = try [UInt8](Data(contentsOf: shardURL.appendingPathComponent(name)))
                    #expect((try? pipeline.probe(bytes)) != nil, "torn cache file \(shard)/\(name) (\(bytes.count) bytes)")
                    cached += 1
                }
            }
            #expect(cached > 0, "no transform finished before a kill: the test did not exercise the cache")
            // A restarted server answers every URL with an image that decodes.
            let (server, base) = try await start()
            for url in urls {
                let r = try await client.get(base + url)
                #expect(r.status == 200 && (try? pipeline.probe(r.body)) != nil, "\(url): \(r.status)")
            }
            server.process.terminate()
            server.process.waitUntilExit()
        } catch {
            Issue.record(error)
        }
        try? await client.shutdown()
    }
}
