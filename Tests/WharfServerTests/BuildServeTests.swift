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
        let port = freePort(), admin = freePort()
        let server = try CLITests.launch(["serve", "--root", "dist", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(admin)",
                                          "--state-dir", "state"], cwd: dir, env: ["WHARF_LOG_ACCESS": "off"])
        let client = try Client()
        do {
            var ready = false
            for _ in 0..<200 where !ready {
                ready = (try? await client.get("http://127.0.0.1:\(admin)/readyz"))?.status == 200
                if !ready { try await Task.sleep(for: .milliseconds(25)) }
            }
            try #require(ready, "wharf serve did not start: \(server.log)")
            let r = try await client.get("http://127.0.0.1:\(port)/css/\(css)", [("Accept-Encoding", "br")])
            #expect(r.status == 200 && r.h("Content-Encoding") == "br")
            #expect(r.h("Cache-Control") == "public, max-age=31536000, immutable", "\(r.h("Cache-Control") ?? "none")")
            let page = try await client.get("http://127.0.0.1:\(port)/", [("Accept-Encoding", "identity")])
            #expect(page.status == 200 && page.text.contains("css/\(css)"))
            #expect(page.h("Cache-Control")?.contains("immutable") == false)
        } catch {
            Issue.record(error)
        }
        server.process.terminate()
        server.process.waitUntilExit()
        try? await client.shutdown()
    }
}
