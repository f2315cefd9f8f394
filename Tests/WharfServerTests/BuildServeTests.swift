import Foundation
import Testing

/// `wharf build` then `wharf serve --root DIST`, both the real binary: the built site is served
/// with the year-long immutable policy on fingerprinted names and its precompressed siblings.
@Suite struct BuildServeTests {
    @Test func theBuiltSiteIsServedImmutableAndPrecompressed() async throws {
        let dir = try CLITests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = dir.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: src.appendingPathComponent("css"), withIntermediateDirectories: true)
        try "<!doctype html><link rel=stylesheet href=\"css/site.css\">\n".write(to: src.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try String(repeating: "p { margin: 0 0 1em; line-height: 1.5 }\n", count: 50)
            .write(to: src.appendingPathComponent("css/site.css"), atomically: true, encoding: .utf8)

        let build = Process()
        build.executableURL = try CLITests.binary()
        build.arguments = ["build", "src", "--out", "dist", "--json"]
        build.currentDirectoryURL = dir
        let out = Pipe()
        build.standardOutput = out
        build.standardError = FileHandle.nullDevice
        try build.run()
        let summary = out.fileHandleForReading.readDataToEndOfFile()
        build.waitUntilExit()
        #expect(build.terminationStatus == 0, "\(String(decoding: summary, as: UTF8.self))")
        let json = try JSONSerialization.jsonObject(with: summary) as! [String: Any]
        #expect(json["ok"] as? Bool == true && json["fingerprinted"] as? Int == 1)

        let css = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("dist/css").path)
            .first { $0.hasSuffix(".css") })
        try await Self.serving(dir) { base, client in
            let r = try await client.get("\(base)/css/\(css)", [("Accept-Encoding", "br")])
            #expect(r.status == 200 && r.h("Content-Encoding") == "br")
            #expect(r.h("Cache-Control") == "public, max-age=31536000, immutable", "\(r.h("Cache-Control") ?? "none")")
            let page = try await client.get("\(base)/", [("Accept-Encoding", "identity")])
            #expect(page.status == 200 && page.text.contains("css/\(css)"))
            #expect(page.h("Cache-Control")?.contains("immutable") == false)
        }
    }

    /// Runs `wharf serve --root dist` in `dir` (with its wharf.toml, if any) for `body`.
    static func serving(_ dir: URL, _ body: (String, Client) async throws -> Void) async throws {
        let port = freePort(), admin = freePort()
        var args = ["serve", "--root", "dist", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(admin)", "--state-dir", "state"]
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("wharf.toml").path) { args += ["--config", "wharf.toml"] }
        let server = try CLITests.launch(args, cwd: dir, env: ["WHARF_LOG_ACCESS": "off"])
        let client = try Client()
        do {
            var ready = false
            for _ in 0..<200 where !ready {
                ready = (try? await client.get("http://127.0.0.1:\(admin)/readyz"))?.status == 200
                if !ready { try await Task.sleep(for: .milliseconds(25)) }
            }
            try #require(ready, "wharf serve did not start: \(server.log)")
            try await body("http://127.0.0.1:\(port)", client)
        } catch {
            Issue.record(error)
        }
        server.process.terminate()
        server.process.waitUntilExit()
        try? await client.shutdown()
    }

    /// A site with a photo and an MP4, built with HLS on: the server takes ETags and the build id
    /// from the manifest, serves the variants as immutable images, and ffmpeg plays the static
    /// rendition over HTTP.
    @Test func variantsAndStaticHLSAreServedWithTheManifestsETagsAndBuildID() async throws {
        let env = try await HLSEnvironment.shared.get()
        let dir = try CLITests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = dir.appendingPathComponent("src")
        for sub in ["css", "img", "v"] {
            try FileManager.default.createDirectory(at: src.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try "<!doctype html><link rel=stylesheet href=\"css/site.css\"><img src=\"img/rocket.jpg\">\n"
            .write(to: src.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try String(repeating: "p { margin: 0 0 1em; line-height: 1.5 }\n", count: 50)
            .write(to: src.appendingPathComponent("css/site.css"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: HLSTests.repo.appendingPathComponent("public/img/rocket.jpg"),
                                         to: src.appendingPathComponent("img/rocket.jpg"))
        try FileManager.default.copyItem(at: env.fixtures.appendingPathComponent("h264.mp4"), to: src.appendingPathComponent("v/talk.mp4"))
        try """
            [build]
            hls = ["/v/*.mp4"]
            image_widths = [320]

            [tags]
            headers = ["surrogate-key"]
            """.write(to: dir.appendingPathComponent("wharf.toml"), atomically: true, encoding: .utf8)

        let build = try await HLSTests.tool(["/bin/bash", "-c", "cd \"$1\" && exec \"$2\" build src --out dist --config wharf.toml --json",
                                             "build", dir.path, try CLITests.binary().path])
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(build.stdout.utf8)) as? [String: Any])
        #expect((report["hls"] as? [String: Int])?["renditions"] == 1 && (report["images"] as? [String: Int])?["variants"] == 2)
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("dist/asset-manifest.json"))) as? [String: Any])
        let assets = try #require(manifest["assets"] as? [String: [String: Any]])
        let buildID = try #require(manifest["build_id"] as? String)
        let css = try #require(assets["css/site.css"])
        let variants = try #require(assets["img/rocket.jpg"]?["variants"] as? [[String: Any]])
        let avif = try #require(variants.first { $0["format"] as? String == "avif" })
        let master = try #require(assets["v/talk.mp4"]?["hls"] as? String)
        #expect(master.range(of: #"^v/talk\.[0-9a-f]{8,}\.hls/master\.m3u8$"#, options: .regularExpression) != nil, "\(master)")

        try await Self.serving(dir) { base, client in
            // The ETag is the manifest's hash; every response carries the build's tag.
            let sheet = try await client.get("\(base)/\(css["path"] as! String)", [("Accept-Encoding", "identity")])
            #expect(sheet.status == 200 && sheet.h("ETag") == "\"\((css["sha256"] as! String).prefix(32))\"")
            #expect(sheet.h("Surrogate-Key")?.split(separator: " ").contains("build.\(buildID)") == true, "\(sheet.h("Surrogate-Key") ?? "none")")
            let image = try await client.get("\(base)/\(avif["path"] as! String)")
            #expect(image.status == 200 && image.h("Content-Type") == "image/avif" && image.body.count == avif["size"] as? Int)
            #expect(image.h("Cache-Control") == "public, max-age=31536000, immutable")
            #expect(image.h("ETag") == "\"\((avif["sha256"] as! String).prefix(32))\"")
            // ffmpeg plays the pre-packaged rendition from the static files.
            let playlist = try await client.get("\(base)/\(master)")
            #expect(playlist.status == 200 && playlist.h("Content-Type") == "application/vnd.apple.mpegurl")
            let play = try await HLSTests.tool([env.ffmpeg, "-nostdin", "-v", "error", "-i", "\(base)/\(master)", "-map", "0", "-f", "null", "-"])
            #expect(play.status == 0 && play.stderr.isEmpty, "\(play.stderr.suffix(2000))")
        }
    }

    /// Exit 0 built, 1 failed files (named on stderr, DIST not replaced), 2 usage; progress lines
    /// (not a terminal here) on stderr.
    @Test func exitStatusesTellUsageFromFailedFiles() async throws {
        let dir = try CLITests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = dir.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: src.appendingPathComponent("img"), withIntermediateDirectories: true)
        try "<!doctype html>\n".write(to: src.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        func run(_ args: String) async throws -> HLSTests.ToolRun { try await Self.wharf(args, in: dir) }
        let ok = try await run("build src --out dist")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stderr.contains("writing 1/1 files") && ok.stdout.contains("built dist: 1 files"), "\(ok.stdout)\(ok.stderr)")
        for usage in ["build src", "build src --out src", "build src --out dist --jobs 0", "build nowhere --out dist"] {
            let r = try await run(usage)
            #expect(r.status == 2, "wharf \(usage): exit \(r.status) \(r.stderr)")
        }
        try "[build]\nimage_formats = [\"gif\"]\n".write(to: dir.appendingPathComponent("bad.toml"), atomically: true, encoding: .utf8)
        let badConfig = try await run("build src --out dist --config bad.toml")
        #expect(badConfig.status == 2 && badConfig.stderr.contains("build.image_formats"), "\(badConfig.stderr)")
        try Data("GIF89a but then nothing".utf8).write(to: src.appendingPathComponent("img/x.png"))
        let failed = try await run("build src --out dist")
        #expect(failed.status == 1 && failed.stderr.contains("error: /img/x.png: no responsive variants"), "\(failed.stderr)")
        #expect(failed.stdout.contains("failed, DIST left as it was"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("dist/img").path))
    }

    /// `kill -9` in the middle of a build leaves DIST as it was (the new tree only ever replaces it
    /// in one exchange); a second build meanwhile is refused; the next build removes the killed
    /// one's staging directory and completes.
    @Test func aKilledBuildLeavesDISTAsItWas() async throws {
        let dir = try CLITests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = dir.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: src.appendingPathComponent("js"), withIntermediateDirectories: true)
        try "<!doctype html>\n".write(to: src.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        let wharf = try CLITests.binary().path
        func run(_ args: String) async throws -> HLSTests.ToolRun { try await Self.wharf(args, in: dir) }
        #expect(try await run("build src --out dist --cache-dir off").status == 0)
        let before = try Self.snapshot(dir.appendingPathComponent("dist"))
        // Enough Brotli-11 work (~25 MB of distinct text) to still be running when it is killed.
        var seed: UInt64 = 42
        for i in 0..<250 {
            var text = ""
            for _ in 0..<2000 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                text += "export const v\(seed >> 40) = \"\(String(seed, radix: 36))\";\n"
            }
            try text.write(to: src.appendingPathComponent("js/m\(i).js"), atomically: true, encoding: .utf8)
        }
        let slow = try Spawned("/bin/bash", ["-c", "cd \"$1\" && exec \"$2\" build src --out dist --cache-dir off", "build", dir.path, wharf])
        try await Task.sleep(for: .milliseconds(1500))
        let second = try await run("build src --out dist --cache-dir off")
        #expect(second.status == 1 && second.stderr.contains("another wharf build is writing it"), "\(second.stderr)")
        slow.stop()   // SIGKILL, mid-compression
        #expect(try Self.snapshot(dir.appendingPathComponent("dist")) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".dist.building-") }
        #expect(leftovers.count == 1, "\(leftovers)")
        let next = try await run("build src --out dist --cache-dir off")
        #expect(next.status == 0 && next.stderr.contains("removed \(leftovers.first ?? "?"), left by a build that was killed"), "\(next.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".dist.building-") }.isEmpty)
        #expect(try Self.snapshot(dir.appendingPathComponent("dist")).count > before.count)
    }

    /// Every file under `dir` with its bytes.
    static func snapshot(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: dir.path)! {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(path).path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[path] = try Data(contentsOf: dir.appendingPathComponent(path))
            }
        }
        return out
    }

    /// Runs `wharf ARGS` (a shell word list) in `dir`.
    static func wharf(_ args: String, in dir: URL) async throws -> HLSTests.ToolRun {
        try await HLSTests.tool(["/bin/bash", "-c", "cd \"$1\" && exec \"$2\" \(args)", "wharf", dir.path, try CLITests.binary().path])
    }
}
