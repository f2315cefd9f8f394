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

    /// SIGTERM under load (issue #7): six slow readers of an 8 MiB file each get the whole file,
    /// eight clients hammering a small file get only whole answers, a new connection is refused
    /// once the listener has closed, and the process exits 0 well within `limits.shutdown_grace`.
    @Test func sigtermUnderLoadFinishesInFlightRefusesNewAndExitsInTime() async throws {
        let dir = try CLITests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 7) }
        let small = Array(String(repeating: "p { margin: 0 }\n", count: 200).utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("site"), withIntermediateDirectories: true)
        try Data(big).write(to: dir.appendingPathComponent("site/big.bin"))
        try Data(small).write(to: dir.appendingPathComponent("site/small.css"))
        let run = try CLITests.launch(["serve", "--root", "site", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
                                      cwd: dir, env: ["WHARF_LOG_ACCESS": "off", "WHARF_LIMITS_SHUTDOWN_GRACE": "10"])
        defer { if run.process.isRunning { run.process.terminate() } }
        let p = try await CLITests.listenPort(run)

        // Responses in flight: started (first bytes read), most of the file still to come.
        var slow: [RawClient] = []
        for _ in 0..<6 {
            let raw = try RawClient(port: p, receiveBuffer: 4096)
            raw.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(raw.read(count: 1000).count == 1000)
            slow.append(raw)
        }
        // Load: eight clients asking for the small file back to back until the server is gone.
        let client = try Client()
        let answered = Counter()
        let load = Task {
            await withTaskGroup(of: (ok: Int, torn: Int).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var ok = 0, torn = 0
                        while true {
                            guard let r = try? await client.get("http://127.0.0.1:\(p)/small.css", [("Accept-Encoding", "identity")]) else { break }
                            if r.status == 200 && r.body == small { ok += 1 } else if r.status == 200 { torn += 1 }
                            answered.add()
                        }
                        return (ok, torn)
                    }
                }
                return await group.reduce(into: (ok: 0, torn: 0)) { $0.ok += $1.ok; $0.torn += $1.torn }
            }
        }
        // The load is running (answers coming back) before the signal, however busy the machine.
        for _ in 0..<500 where answered.value < 50 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(answered.value >= 50, "the load never got going")
        let timer = ExitTimer(run.process)
        let signalled = ContinuousClock.now
        kill(run.process.processIdentifier, SIGTERM)
        // When the process ends (the load's client takes longer to give up on refused connects).
        let exited = Task {
            while run.process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            return timer.elapsed(since: signalled) ?? ContinuousClock.now - signalled
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect((try? RawClient(port: p)) == nil, "a new connection was accepted after SIGTERM")
        for raw in slow {
            let rest = raw.readAll()
            // 1000 bytes were read before; head + body = 1000 + rest.
            #expect(rest.count >= big.count - 1000, "an in-flight response was cut: \(rest.count) more bytes")
        }
        let counts = await load.value
        #expect(counts.ok > 0 && counts.torn == 0, "\(counts)")
        let exitTime = await exited.value
        run.process.waitUntilExit()
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 0)
        #expect(exitTime < .seconds(5), "exit took \(exitTime) (shutdown_grace is 10 s)")
        try? await client.shutdown()
    }

    /// A client that stops reading mid-response cannot hold shutdown past `limits.shutdown_grace`:
    /// when it expires the remaining connections are closed and the process still exits 0.
    @Test func sigtermExitsAtTheGraceWhenAClientNeverReads() async throws {
        let dir = try CLITests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let huge = [UInt8](repeating: 0x5a, count: 24 << 20)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("site"), withIntermediateDirectories: true)
        try Data(huge).write(to: dir.appendingPathComponent("site/huge.bin"))
        let run = try CLITests.launch(["serve", "--root", "site", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
                                      cwd: dir, env: ["WHARF_LOG_ACCESS": "off", "WHARF_LIMITS_SHUTDOWN_GRACE": "2"])
        defer { if run.process.isRunning { run.process.terminate() } }
        let p = try await CLITests.listenPort(run)
        let stuck = try RawClient(port: p, receiveBuffer: 4096)
        stuck.send("GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(stuck.read(count: 1000).count == 1000) // then never reads again
        let timer = ExitTimer(run.process)
        let signalled = ContinuousClock.now
        kill(run.process.processIdentifier, SIGTERM)
        while run.process.isRunning, ContinuousClock.now - signalled < .seconds(30) {
            try await Task.sleep(for: .milliseconds(20))
        }
        // Foundation's clock of the exit: under the whole suite this loop can wake seconds late
        // (a fresh-machine run measured 11.4 s this way for an exit at the 2 s grace).
        let exitTime = timer.elapsed(since: signalled) ?? ContinuousClock.now - signalled
        #expect(!run.process.isRunning, "still running 30 s after SIGTERM (shutdown_grace is 2 s)")
        run.process.waitUntilExit()
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 0)
        // Not before the grace (the response was still in flight), and not long after it.
        #expect(exitTime >= .milliseconds(1900) && exitTime < .seconds(8), "exit took \(exitTime)")
        // The cut response is short: the client can tell it apart from a whole one.
        #expect(stuck.readAll().count < huge.count)
    }
}

/// A count shared by concurrent tasks.
final class Counter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
