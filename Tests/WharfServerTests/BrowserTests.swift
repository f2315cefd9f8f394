import Foundation
import Testing
import WharfImage
@testable import WharfServer

/// A real browser: Debian's headless Chromium loads the bundled demo page (its `<img srcset>`
/// and `<picture>` use transform URLs) from the real server.
@Suite(.serialized) struct BrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every file of the repository's `public/`.
    static func demoSite() throws -> [String: [UInt8]] {
        let root = repository.appendingPathComponent("public")
        var files: [String: [UInt8]] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: root.path) {
            var isDir: ObjCBool = false
            let url = root.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else { continue }
            files[path] = [UInt8](try Data(contentsOf: url))
        }
        return files
    }

    /// Runs Chromium headless against `url`, writing a screenshot; killed after 90 s.
    static func screenshot(_ url: String, to png: URL, profile: URL) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        p.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--no-first-run", "--no-default-browser-check", "--user-data-dir=\(profile.path)",
            // Loopback only: no update checks, safe-browsing lists or metrics uploads.
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-domain-reliability", "--no-pings", "--metrics-recording-only",
            "--window-size=1280,2400", "--screenshot=\(png.path)", url,
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(90)
        while p.isRunning, Date() < deadline { usleep(100_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
    }

    @Test func chromiumGetsAVIFForAutoFormatImagesAndRendersThePage() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let log = work.appendingPathComponent("access.log")
        let s = try await TestServer(files: try Self.demoSite()) { c in
            c.accessLog = log.path
            c.images.cacheDirectory = work.appendingPathComponent("cache").path
        }
        let png = work.appendingPathComponent("page.png")
        try Self.screenshot(s.base + "/", to: png, profile: work.appendingPathComponent("profile"))

        // The access log is written by a background thread: wait for the image lines.
        let requests = try await LoggedRequest.read(log) { $0.filter { $0.uri.contains("fm=auto") }.count >= 3 }
        await s.stop()

        let auto = requests.filter { $0.uri.hasPrefix("/img/") && $0.uri.contains("fm=auto") }
        #expect(auto.count >= 3, "\(requests.map(\.uri))")
        // Chromium lists image/avif in the Accept of image requests, so every fm=auto image was AVIF.
        #expect(auto.allSatisfy { $0.status == "200" && $0.type == "image/avif" }, "\(auto.map { "\($0.uri) \($0.status) \($0.type)" })")
        // <picture> took its first source type it supports: AVIF.
        #expect(requests.contains { $0.uri.contains("fm=avif") && $0.type == "image/avif" })
        #expect(!requests.contains { $0.uri.hasPrefix("/img/") && $0.status != "200" })

        let shot = try ImageStatistics([UInt8](Data(contentsOf: png)))
        #expect(shot.width == 1280)
        // A blank page is one colour (deviation ≈ 0); text, panels and photos spread the values.
        #expect(shot.deviation > 20, "deviation \(shot.deviation), mean \(shot.mean)")
    }
}
