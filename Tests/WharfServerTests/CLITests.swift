import Foundation
import Testing

/// The real `wharf` binary: exit codes and messages for bad configuration, and a SIGTERM that
/// drains an in-flight response before the process exits 0.
@Suite(.serialized) struct CLITests {
    /// `.build/<config>/wharf`, built next to the test bundle by `swift build --build-tests`.
    static func binary() throws -> URL {
        var candidates: [URL] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        for dir in candidates {
            let url = dir.appendingPathComponent("wharf")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw TestFailure("wharf binary not found next to the tests (run `swift build --build-tests` first)")
    }

    struct Launched {
        let process: Process
        let stderr: URL
        var log: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
    }

    /// The port of a server started with `--listen 127.0.0.1:0`, from its "wharf serving" log line.
    static func listenPort(_ run: Launched) async throws -> Int {
        for _ in 0..<200 {
            if let m = run.log.firstMatch(of: /listen=\S*:(\d+)/), let port = Int(m.1) { return port }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("no listen line in: \(run.log)")
    }

    static func launch(_ args: [String], cwd: URL, env: [String: String] = [:]) throws -> Launched {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        p.currentDirectoryURL = cwd
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("WHARF_") }
        environment.merge(env) { $1 }
        p.environment = environment
        let err = cwd.appendingPathComponent("stderr-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return Launched(process: p, stderr: err)
    }

    static func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    @Test(arguments: [
        (["serve", "--listen", "nope"], "", "--listen"),
        (["serve", "--root", "/nonexistent/wharf-root"], "", "root"),
        (["serve"], "[limits]\nmax_connections = 0\n", "limits.max_connections"),
        (["serve"], "colour = \"blue\"\n", "colour"),
        (["serve", "--tls-cert", "/nonexistent.pem"], "", "tls"),
    ])
    func badConfigurationExitsNonZeroNamingTheKey(args: [String], toml: String, key: String) throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("public"), withIntermediateDirectories: true)
        if !toml.isEmpty { try toml.write(to: dir.appendingPathComponent("wharf.toml"), atomically: true, encoding: .utf8) }
        var argv = args + ["--admin-listen", "127.0.0.1:0"]
        if !args.contains("--listen") { argv += ["--listen", "127.0.0.1:0"] }
        let run = try Self.launch(argv, cwd: dir)
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus != 0)
        #expect(run.log.contains(key), "stderr: \(run.log)")
    }

    /// An operator runs it as an unprivileged user: every connection must be served. (A socket
    /// option set at the wrong level asked for SO_DEBUG, which only root may set: as any other
    /// user each accepted connection was reset, and the suite, running as root, did not see it.)
    @Test func servesAsAnUnprivilegedUser() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let site = dir.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        try Data("p { margin: 0 }\n".utf8).write(to: site.appendingPathComponent("a.css"))
        // A copy the unprivileged user can run, wherever the build directory is.
        let exe = dir.appendingPathComponent("wharf")
        try FileManager.default.copyItem(at: try Self.binary(), to: exe)
        for (path, mode) in [(dir, 0o755), (site, 0o755), (site.appendingPathComponent("a.css"), 0o644), (exe, 0o755)] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path.path)
        }
        let serve = [exe.path, "serve", "--root", "site", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"]
        let p = Process()
        if getuid() == 0 {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups"] + serve
        } else {
            p.executableURL = exe
            p.arguments = Array(serve.dropFirst())
        }
        p.currentDirectoryURL = dir
        p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("WHARF_") }
            .merging(["WHARF_LOG_ACCESS": "off"]) { $1 }
        let err = dir.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let run = Launched(process: p, stderr: err)
        defer { if p.isRunning { p.terminate(); p.waitUntilExit() } }
        let port = try await Self.listenPort(run)
        let raw = try RawClient(port: port)
        for _ in 0..<2 { // and the connection stays usable
            raw.send("GET /a.css HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = raw.readResponse()
            #expect(response?.head.statusCode == 200, "stderr: \(run.log)")
        }
    }

    @Test func aPortInUseIsAnErrorNamingTheListener() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("public"), withIntermediateDirectories: true)
        let first = try Self.launch(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"], cwd: dir)
        defer { first.process.terminate() }
        var port: Int?
        for _ in 0..<200 where port == nil {
            try await Task.sleep(for: .milliseconds(50))
            if let m = first.log.firstMatch(of: /listen=\S*:(\d+)/) { port = Int(m.1) }
        }
        let p = try #require(port)
        let second = try Self.launch(["serve", "--listen", "127.0.0.1:\(p)", "--admin-listen", "127.0.0.1:0"], cwd: dir)
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus != 0)
        #expect(second.log.contains("listen: cannot listen on 127.0.0.1:\(p)"), "stderr: \(second.log)")
    }

    @Test func sigtermDrainsInFlightResponsesThenExitsZero() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let huge = (0..<(24 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 9) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("site"), withIntermediateDirectories: true)
        try Data(huge).write(to: dir.appendingPathComponent("site/huge.bin"))
        let run = try Self.launch(["serve", "--root", "site", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
                                  cwd: dir, env: ["WHARF_LOG_ACCESS": "off"])
        defer { if run.process.isRunning { run.process.terminate() } }

        let p = try await Self.listenPort(run)
        let raw = try RawClient(port: p, receiveBuffer: 4096)
        raw.send("GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = raw.read(count: 1000)
        #expect(first.count == 1000)
        kill(run.process.processIdentifier, SIGTERM)
        let all = first + raw.readAll()
        let text = String(decoding: all.prefix(400), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        let headEnd = try #require(all.firstRange(of: [13, 10, 13, 10])?.upperBound)
        #expect(all.count - headEnd == huge.count)
        run.process.waitUntilExit()
        #expect(run.process.terminationReason == .exit)
        #expect(run.process.terminationStatus == 0)
    }

    @Test func signURLPrintsTheSignedURL() throws {
        let wharf = try Self.binary().path
        let key = "wharf-test-key-0123456789abcdef"
        // The vector of URLSignerTests (computed with Python's hmac): aliases and order do not matter.
        let signed = try run(wharf, ["sign-url", "--key", key, "/img/rocket.jpg?width=640&height=360&fit=cover"])
        #expect(signed.status == 0)
        #expect(String(decoding: signed.stdout, as: UTF8.self)
            == "/img/rocket.jpg?width=640&height=360&fit=cover&s=o8ysckvyj0ea1V_vcwtrKGBCZUmEostRZtAoGDwpy5w\n")
        let full = try run(wharf, ["sign-url", "--key", key, "https://cdn.example.com/img/rocket.jpg?fit=cover&w=640&h=360"])
        #expect(String(decoding: full.stdout, as: UTF8.self)
            == "https://cdn.example.com/img/rocket.jpg?fit=cover&w=640&h=360&s=o8ysckvyj0ea1V_vcwtrKGBCZUmEostRZtAoGDwpy5w\n")
        #expect(try run(wharf, ["sign-url", "--key", key, "/img/a.jpg?w=1&blur=2"]).status != 0)
        #expect(try run(wharf, ["sign-url", "--key", key, "/img/a.jpg?v=3"]).status != 0)
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let none = try Self.launch(["sign-url", "/img/a.jpg?w=1"], cwd: dir)
        none.process.waitUntilExit()
        #expect(none.process.terminationStatus != 0)
        #expect(none.log.contains("no signing key"), "\(none.log)")
    }
}
