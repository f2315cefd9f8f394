import Foundation
import Testing
import WharfPurge

/// The whole deploy → purge → fresh-at-every-edge loop against real edge caches: the `wharf`
/// binary as the origin, a Varnish 7 with `edge-rules/varnish/` (vmod xkey) and an nginx with
/// `edge-rules/nginx/` (ngx_cache_purge) in front of it, started by `scripts/edges.sh`, and
/// `wharf purge` as the deploy script's client.
@Suite(.serialized) struct EdgeTests {
    static let token = "edge-test-token-0123456789"
    static let secret = "edge-test-secret-0123456789"
    /// A stylesheet big enough that compressing it pays (smaller ones are served as they are).
    static func css(_ color: String) -> String {
        "body { color: \(color); }\n" + String(repeating: "p { margin: 0 0 1em; line-height: 1.5; }\n", count: 40)
    }
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// An origin process, both edges and a scratch directory; torn down by `stop()`.
    final class Stack: @unchecked Sendable {
        let dir: URL
        let root: URL
        let originPort = freePort(), adminPort = freePort(), varnishPort = freePort(), nginxPort = freePort()
        /// The origin sends purges to these ports; socat forwards them to the edges while the
        /// gate is open, and nothing listens while it is closed (the edge is down for the origin).
        let gatePorts = ["varnish": freePort(), "nginx": freePort()]
        var gates: [String: Spawned] = [:]
        var origin: CLITests.Launched?
        let client: Client
        var edges: [(name: String, port: Int)] { [("varnish", varnishPort), ("nginx", nginxPort)] }

        init() async throws {
            dir = try CLITests.tempDir()
            root = dir.appendingPathComponent("site")
            client = try Client()
            let fixtures = EdgeTests.repo.appendingPathComponent("public")
            // Varnish's health probe asks for "/": without it the backend turns sick and Varnish answers 503.
            try write("index.html", Array("<!doctype html><title>edge test</title>\n".utf8))
            try write("css/site.css", Array(EdgeTests.css("black").utf8))
            try write("js/app.js", Array("console.log('v1');\n".utf8))
            try write("docs/index.html", Array("<!doctype html><title>v1</title>\n".utf8))
            try FileManager.default.createDirectory(at: root.appendingPathComponent("img"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("img/chelsea.png"), to: root.appendingPathComponent("img/a.png"))
            let toml = """
                [tags]
                headers = ["xkey", "surrogate-key"]
                build_id = "1"
                [cache]
                x_accel_expires = true
                revalidate_interval = 3600  # only purges make the origin notice changes
                [images]
                cache_dir = "off"
                [purge]
                tokens = ["\(EdgeTests.token)"]
                retry_base = 0.2
                retry_max = 1.0
                request_timeout = 1.0
                connect_timeout = 1.0
                [[purge.providers]]
                type = "varnish"
                endpoints = ["http://127.0.0.1:\(gatePorts["varnish"]!)"]
                secret = "\(EdgeTests.secret)"
                [[purge.providers]]
                type = "nginx"
                endpoints = ["http://127.0.0.1:\(gatePorts["nginx"]!)"]
                secret = "\(EdgeTests.secret)"
                """
            try toml.write(to: dir.appendingPathComponent("wharf.toml"), atomically: true, encoding: .utf8)
            try await startOrigin()
            let r = try run("/bin/bash", [EdgeTests.repo.appendingPathComponent("scripts/edges.sh").path, "start",
                                          dir.appendingPathComponent("edges").path, "\(originPort)", "\(varnishPort)",
                                          "\(nginxPort)", EdgeTests.secret])
            guard r.status == 0 else { throw TestFailure("scripts/edges.sh start failed (see stderr)") }
            try await openGate("varnish")
            try await openGate("nginx")
        }

        func openGate(_ edge: String) async throws {
            let target = edge == "varnish" ? varnishPort : nginxPort
            gates[edge] = try Spawned("/usr/bin/socat", ["TCP-LISTEN:\(gatePorts[edge]!),bind=127.0.0.1,reuseaddr,fork",
                                                         "TCP:127.0.0.1:\(target)"])
            for _ in 0..<200 {
                if isListening(gatePorts[edge]!) { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw TestFailure("socat did not listen on \(gatePorts[edge]!)")
        }

        /// Stops forwarding: the origin's purges to this edge are refused until the gate opens.
        func closeGate(_ edge: String) {
            gates.removeValue(forKey: edge)?.stop()
        }

        func write(_ path: String, _ bytes: [UInt8]) throws {
            try TestServer.write(bytes, to: root.appendingPathComponent(path))
        }

        func startOrigin() async throws {
            origin = try CLITests.launch(["serve", "--root", "site", "--listen", "127.0.0.1:\(originPort)",
                                          "--admin-listen", "127.0.0.1:\(adminPort)", "--state-dir", "state",
                                          "--config", "wharf.toml"], cwd: dir, env: ["WHARF_LOG_ACCESS": "off"])
            for _ in 0..<400 {
                if let r = try? await client.get("http://127.0.0.1:\(adminPort)/readyz"), r.status == 200 { return }
                try await Task.sleep(for: .milliseconds(25))
            }
            throw TestFailure("origin did not become ready: \(origin?.log ?? "")")
        }

        func killOrigin() {
            guard let p = origin?.process, p.isRunning else { return }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }

        /// A GET through an edge (identity unless `headers` say otherwise).
        func get(_ edge: Int, _ path: String, _ headers: [(String, String)] = []) async throws -> Got {
            try await client.get("http://127.0.0.1:\(edge)\(path)", headers.isEmpty ? [("Accept-Encoding", "identity")] : headers)
        }

        /// `wharf purge` against this origin.
        func purge(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            let p = Process()
            p.executableURL = try CLITests.binary()
            p.arguments = ["purge", "--endpoint", "http://127.0.0.1:\(adminPort)", "--token", EdgeTests.token] + args
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }

        func stop() async {
            closeGate("varnish")
            closeGate("nginx")
            _ = try? run("/bin/bash", [EdgeTests.repo.appendingPathComponent("scripts/edges.sh").path, "stop",
                                       dir.appendingPathComponent("edges").path])
            if let p = origin?.process, p.isRunning {
                p.terminate()
                p.waitUntilExit()
            }
            try? await client.shutdown()
            try? FileManager.default.removeItem(at: dir)
        }
    }

    /// Fetches twice through each edge: the second must be a cache hit with the same bytes.
    func warm(_ s: Stack, _ path: String, _ headers: [(String, String)] = []) async throws -> [String: Got] {
        var out: [String: Got] = [:]
        for (name, port) in s.edges {
            let first = try await s.get(port, path, headers)
            let second = try await s.get(port, path, headers)
            #expect(first.status == 200, "\(name) \(path): \(first.status)")
            #expect(second.h("X-Cache") == "HIT", "\(name) \(path): second request \(second.h("X-Cache") ?? "-")")
            #expect(second.body == first.body)
            out[name] = second
        }
        return out
    }

    @Test func missThenHitAndEveryPurgeFormServesTheNewBytesAtBothEdges() async throws {
        let s = try await Stack()
        do {
            // MISS then HIT, per encoding and per image class.
            for (name, port) in s.edges {
                let br = try await s.get(port, "/css/site.css", [("Accept-Encoding", "gzip, br")])
                #expect(br.h("X-Cache") == "MISS" && br.h("Content-Encoding") == "br", "\(name)")
            }
            _ = try await warm(s, "/css/site.css", [("Accept-Encoding", "gzip, br")])
            _ = try await warm(s, "/css/site.css")
            let avif = try await warm(s, "/img/a.png?w=64&fm=auto", [("Accept", "image/avif,image/webp,*/*")])
            let webp = try await warm(s, "/img/a.png?w=64&fm=auto", [("Accept", "image/webp,*/*")])
            for edge in ["varnish", "nginx"] {
                #expect(avif[edge]?.h("Content-Type") == "image/avif")
                #expect(webp[edge]?.h("Content-Type") == "image/webp")
            }

            // --tag with a path: the file and every variant of it.
            try s.write("css/site.css", Array(EdgeTests.css("red").utf8))
            var r = try s.purge(["--tag", "/css/site.css", "--wait", "30s"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("varnish: done") && r.stdout.contains("nginx: done"), "\(r.stdout)")
            for (name, port) in s.edges {
                let plain = try await s.get(port, "/css/site.css")
                #expect(plain.text == EdgeTests.css("red"), "\(name): \(plain.text)")
                let br = try await s.get(port, "/css/site.css", [("Accept-Encoding", "br")])
                #expect(br.h("X-Cache") == "MISS", "\(name) br variant survived the purge")
            }

            // A changed source image: its transformed variants are purged through its tag.
            try FileManager.default.removeItem(at: s.root.appendingPathComponent("img/a.png"))
            try FileManager.default.copyItem(at: EdgeTests.repo.appendingPathComponent("public/img/coffee.png"),
                                             to: s.root.appendingPathComponent("img/a.png"))
            r = try s.purge(["--tag", "/img/a.png"])
            #expect(r.status == 0, "\(r.stderr)")
            for (name, port) in s.edges {
                for accept in ["image/avif,image/webp,*/*", "image/webp,*/*"] {
                    let v = try await s.get(port, "/img/a.png?w=64&fm=auto", [("Accept", accept)])
                    #expect(v.h("X-Cache") == "MISS", "\(name) \(accept)")
                    #expect(v.h("ETag") != (accept.hasPrefix("image/avif") ? avif : webp)[name]?.h("ETag"), "\(name) \(accept): old variant")
                }
            }

            // --url.
            _ = try await warm(s, "/js/app.js")
            try s.write("js/app.js", Array("console.log('v2');\n".utf8))
            r = try s.purge(["--url", "/js/app.js"])
            #expect(r.status == 0, "\(r.stderr)")
            for (name, port) in s.edges {
                #expect(try await s.get(port, "/js/app.js").text == "console.log('v2');\n", "\(name)")
            }

            // --prefix.
            _ = try await warm(s, "/docs/")
            try s.write("docs/index.html", Array("<!doctype html><title>v2</title>\n".utf8))
            r = try s.purge(["--prefix", "/docs/"])
            #expect(r.status == 0, "\(r.stderr)")
            for (name, port) in s.edges {
                #expect(try await s.get(port, "/docs/").text.contains("v2"), "\(name)")
            }

            // --soft: the edges revalidate (the changed file answers 200, so new bytes).
            _ = try await warm(s, "/js/app.js")
            try s.write("js/app.js", Array("console.log('v3');\n".utf8))
            // Varnish may answer the first request from the stale copy (X-Cache: STALE) while it
            // refetches in the background; nginx has no soft purge, so it is a hard one there.
            r = try s.purge(["--url", "/js/app.js", "--soft"])
            #expect(r.status == 0, "\(r.stderr)")
            for (name, port) in s.edges {
                let first = try await s.get(port, "/js/app.js")
                if first.text != "console.log('v3');\n" {
                    #expect(name == "varnish" && first.h("X-Cache") == "STALE", "\(name): \(first.h("X-Cache") ?? "-") \(first.text)")
                }
                var fresh = first.text == "console.log('v3');\n"
                for _ in 0..<100 where !fresh {
                    try await Task.sleep(for: .milliseconds(50))
                    fresh = try await s.get(port, "/js/app.js").text == "console.log('v3');\n"
                }
                #expect(fresh, "\(name) never served the new bytes after a soft purge")
            }

            // --all.
            _ = try await warm(s, "/css/site.css")
            _ = try await warm(s, "/js/app.js")
            try s.write("css/site.css", Array(EdgeTests.css("blue").utf8))
            try s.write("js/app.js", Array("console.log('v4');\n".utf8))
            r = try s.purge(["--all"])
            #expect(r.status == 0, "\(r.stderr)")
            for (name, port) in s.edges {
                #expect(try await s.get(port, "/css/site.css").text == EdgeTests.css("blue"), "\(name)")
                #expect(try await s.get(port, "/js/app.js").text == "console.log('v4');\n", "\(name)")
            }
        } catch {
            Issue.record(error)
        }
        await s.stop()
    }

    /// `scripts/edges-smoke.sh`: 90 curl checks of the rule sets themselves — cache keys per
    /// encoding and image class, TTLs from the origin's headers, tags, every purge form hard and
    /// soft, purges refused without the secret, stale-if-error while the origin is down.
    @Test func edgeRulesSmokeChecks() throws {
        let dir = try CLITests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("smoke.log").path
        let base = freePortRange(4)
        let p = try Spawned("/usr/bin/env", ["EDGE_SMOKE_PORT=\(base)", "/bin/bash",
                                             EdgeTests.repo.appendingPathComponent("scripts/edges-smoke.sh").path,
                                             try CLITests.binary().path], output: log)
        let status = p.wait()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(status == 0, "edges-smoke.sh exited \(status):\n\(text.split(separator: "\n").suffix(40).joined(separator: "\n"))")
        #expect(text.contains("all 90 checks passed"))
    }

    @Test func anEdgeThatIsDownGetsThePurgeWhenItComesBack() async throws {
        let s = try await Stack()
        do {
            _ = try await warm(s, "/css/site.css")
            try s.write("css/site.css", Array(EdgeTests.css("green").utf8))
            s.closeGate("nginx")
            // Each attempt against a refused port takes up to request_timeout (1 s here): the HTTP
            // client retries the connection until then.
            let r = try s.purge(["--tag", "/css/", "--wait", "4s", "--json"])
            // --wait reports it: varnish confirmed, nginx pending (retrying), exit 4 naming it.
            #expect(r.status == 4, "\(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("nginx still pending"), "\(r.stderr)")
            let pending = try JSONDecoder().decode(PurgeStatus.self, from: Data(r.stdout.utf8))
            #expect(pending.providers.first { $0.provider == "varnish" }?.state == .done)
            let nginx = try #require(pending.providers.first { $0.provider == "nginx" })
            #expect(nginx.state == .pending && nginx.attempts >= 2 && nginx.detail?.contains("refused") == true, "\(nginx)")
            // The edge still serves the old bytes meanwhile; Varnish already has the new ones.
            #expect(try await s.get(s.nginxPort, "/css/site.css").text == EdgeTests.css("black"))
            let v = try await s.get(s.varnishPort, "/css/site.css")
            #expect(v.text == EdgeTests.css("green"), "\(v.status) \(v.h("X-Cache") ?? "-") \(v.h("ETag") ?? "-") \(v.h("xkey") ?? "-") \(v.text.prefix(30))")
            try await s.openGate("nginx")
            let done = try await s.client.get("http://127.0.0.1:\(s.adminPort)/purge/\(pending.id)?wait=30s",
                                              [("Authorization", "Bearer \(EdgeTests.token)")])
            let final = try JSONDecoder().decode(PurgeStatus.self, from: Data(done.body))
            #expect(done.status == 200 && final.state == .done, "\(done.text)")
            for (name, port) in s.edges {
                #expect(try await s.get(port, "/css/site.css").text == EdgeTests.css("green"), "\(name)")
            }
        } catch {
            Issue.record(error)
        }
        await s.stop()
    }

    @Test func anAcceptedPurgeSurvivesKillDashNine() async throws {
        let s = try await Stack()
        do {
            _ = try await warm(s, "/css/site.css")
            try s.write("css/site.css", Array(EdgeTests.css("purple").utf8))
            // Both edges are cut off: the purge is accepted (202) and journaled, but not delivered.
            s.closeGate("varnish")
            s.closeGate("nginx")
            let r = try s.purge(["--tag", "/css/site.css", "--wait", "0", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let id = try JSONDecoder().decode(PurgeStatus.self, from: Data(r.stdout.utf8)).id
            s.killOrigin()
            try await s.openGate("varnish")
            try await s.openGate("nginx")
            // The edges still hold the old bytes: nothing was delivered before the kill.
            for (name, port) in s.edges {
                let old = try await s.get(port, "/css/site.css")
                #expect(old.text == EdgeTests.css("black"), "\(name) was purged before the kill")
            }
            try await s.startOrigin()
            let done = try await s.client.get("http://127.0.0.1:\(s.adminPort)/purge/\(id)?wait=30s",
                                              [("Authorization", "Bearer \(EdgeTests.token)")])
            #expect(done.status == 200 && done.text.contains(#""state":"done""#), "\(done.text)")
            // Varnish's probe saw the origin down and needs a few healthy probes (~1.5 s) before it
            // fetches again (503 meanwhile); the old bytes must never come back.
            for (name, port) in s.edges {
                var got = try await s.get(port, "/css/site.css")
                for _ in 0..<100 where got.status == 503 {
                    try await Task.sleep(for: .milliseconds(50))
                    got = try await s.get(port, "/css/site.css")
                }
                #expect(got.status == 200 && got.text == EdgeTests.css("purple"), "\(name): \(got.status) \(got.text.prefix(40))")
            }
        } catch {
            Issue.record(error)
        }
        await s.stop()
    }
}

/// Whether something accepts connections on 127.0.0.1:port.
func isListening(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// A TCP port that was free a moment ago on 127.0.0.1.
func freePort() -> Int {
    // Below the kernel's ephemeral range (32768-60999 here): a port picked there and released
    // could be handed out again, before our server binds it, to another test's listener on port 0
    // or as the local port of one of the thousands of loopback connections the suite makes.
    for _ in 0..<1000 {
        let port = Int.random(in: 20_000..<32_000)
        if canBind(port) { return port }
    }
    fatalError("no free port in 20000..<32000")
}

/// Whether a listener could bind 127.0.0.1:`port` now (nothing bound to it, not even a connection).
func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let len = socklen_t(MemoryLayout<sockaddr_in>.size)
    return withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } } == 0
}

/// The first of `count` consecutive ports on 127.0.0.1 that nothing listened on a moment ago.
func freePortRange(_ count: Int) -> Int {
    for _ in 0..<200 {
        let base = Int.random(in: 20_000..<(32_000 - count))
        if (base..<base + count).allSatisfy({ canBind($0) }) { return base }
    }
    return freePort()
}
