import Foundation
import Testing
import WharfHTTP
import WharfImage
@testable import WharfBuild

/// Responsive image variants, the digest cache, progress output and the DIST exchange.
@Suite struct BuildExtrasTests {
    /// A site with one real photo (640×427, from public/img) and a stylesheet.
    static func photoSite() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-build-img-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("src/img"), withIntermediateDirectories: true)
        let photo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../public/img/rocket.jpg")
        try FileManager.default.copyItem(at: photo.standardizedFileURL, to: root.appendingPathComponent("src/img/rocket.jpg"))
        try "<!doctype html><img src=\"img/rocket.jpg\" alt=\"\">\n".write(to: root.appendingPathComponent("src/index.html"),
                                                                         atomically: true, encoding: .utf8)
        return root
    }

    static func build(_ root: URL, _ configure: (inout BuildOptions) -> Void = { _ in }) -> Builder.Report {
        var options = BuildOptions()
        options.jobs = 2
        options.cacheDirectory = root.appendingPathComponent("cache").path
        configure(&options)
        return Builder(source: root.appendingPathComponent("src").path, destination: root.appendingPathComponent("dist").path,
                       options: options).run()
    }

    static func manifest(_ root: URL) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: root.appendingPathComponent("dist/asset-manifest.json")))
    }

    @Test func responsiveVariantsAreTheServersBytesNeverUpscaledAndRenderedOnce() throws {
        let root = try Self.photoSite()
        defer { try? FileManager.default.removeItem(at: root) }
        let cold = Self.build(root)
        #expect(!cold.failed, "\(cold.problems)")
        let asset = try #require(try Self.manifest(root).assets["img/rocket.jpg"])
        #expect(asset.width == 640 && asset.height == 427)
        // 320 and 640 fit; 960, 1280 and 1920 would upscale, so the source's own 640 is the widest.
        let variants = try #require(asset.variants)
        #expect(variants.map(\.width) == [320, 320, 640, 640] && variants.map(\.format) == ["avif", "webp", "avif", "webp"])
        let source = try [UInt8](Data(contentsOf: root.appendingPathComponent("src/img/rocket.jpg")))
        let pipeline = ImagePipeline(options: ImageOptions())
        for v in variants {
            #expect(v.path.range(of: #"^img/rocket-\d+w\.[0-9a-f]{8,}\.(avif|webp)$"#, options: .regularExpression) != nil, "\(v.path)")
            let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent("dist/" + v.path)))
            #expect(bytes.count == v.size)
            // Decodes as the format it claims, at the size it claims.
            let header = try pipeline.probe(bytes)
            #expect(header.width == v.width && header.height == v.height, "\(v.path): \(header.width)×\(header.height)")
            #expect(header.loader.lowercased().contains(v.format == "avif" ? "heif" : "webp"), "\(v.path) loaded by \(header.loader)")
            // One code path: the server's pipeline, asked for this width, makes these bytes.
            var spec = TransformSpec()
            spec.width = v.width
            let served = try pipeline.render(source, spec: spec, format: ImageFormat(rawValue: v.format)!)
            #expect(served.bytes == bytes, "\(v.path) differs from what the server renders")
        }
        #expect(cold.images.rendered == 4 && cold.images.variants == 4)

        // Unchanged: every variant is the previous build's file; libvips is not called.
        let warm = Self.build(root)
        #expect(warm.images.rendered == 0 && warm.images.cached == 0 && warm.images.reused == 4)
        // Without DIST, the build cache has them.
        try FileManager.default.removeItem(at: root.appendingPathComponent("dist"))
        let fresh = Self.build(root)
        #expect(fresh.images.rendered == 0 && fresh.images.cached == 4)
        #expect(try Self.manifest(root).assets["img/rocket.jpg"]?.variants == variants)
        // Other widths and formats come from [build].
        let custom = Self.build(root) { $0.imageWidths = [100, 200]; $0.imageFormats = [.webp] }
        #expect(custom.images.rendered == 2)
        #expect(try Self.manifest(root).assets["img/rocket.jpg"]?.variants?.map(\.width) == [100, 200])
    }

    @Test func aCorruptImageFailsTheBuildByNameAndLeavesDISTAlone() throws {
        let root = try Self.photoSite()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = Self.build(root)
        let before = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("dist/img").path).sorted()
        try Data("this is not a JPEG at all".utf8).write(to: root.appendingPathComponent("src/img/broken.jpg"))
        let report = Self.build(root)
        #expect(report.failed)
        #expect(report.problems.contains { $0.path == "/img/broken.jpg" && $0.severity == .error && $0.message.contains("no responsive variants") },
                "\(report.problems)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("dist/img").path).sorted() == before)
        // Images left out of build.images are copied (fingerprinted) without variants.
        let excluded = Self.build(root) { $0.images = [try! GlobPattern("/img/rocket.jpg")] }
        #expect(!excluded.failed, "\(excluded.problems)")
    }

    @Test func aBrokenStylesheetIsReportedByLineAndTheRestIsBuilt() throws {
        let root = try BuilderTests.site()
        defer { try? FileManager.default.removeItem(at: root) }
        try "a { color: red }\n.b { background: url(\"../img/cat.svg) }\n@import 'base.css;\n".write(
            to: root.appendingPathComponent("src/css/broken.css"), atomically: true, encoding: .utf8)
        let report = BuilderTests.build(root)
        #expect(!report.failed)
        let lines = report.problems.filter { $0.path == "/css/broken.css" }.map(\.message)
        #expect(lines == ["line 2: unterminated url( or @import, left as it is", "line 3: unterminated url( or @import, left as it is"],
                "\(report.problems)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("dist/css").path)
            .contains { $0.hasPrefix("broken.") && $0.hasSuffix(".css") })
        // Reported again by an unchanged rebuild, and fatal with --strict.
        #expect(BuilderTests.build(root).problems.filter { $0.path == "/css/broken.css" }.count == 2)
        #expect(BuilderTests.build(root, strict: true).problems.contains { $0.path == "/css/broken.css" && $0.severity == .error })
    }

    @Test func imageVariantsAreByteIdenticalAcrossBuilds() throws {
        let root = try Self.photoSite()
        defer { try? FileManager.default.removeItem(at: root) }
        // No build cache and no previous DIST: each build renders every variant itself.
        var outputs: [[String: [UInt8]]] = []
        for name in ["dist-a", "dist-b"] {
            var options = BuildOptions()
            options.jobs = 2
            options.cacheDirectory = nil
            options.imageWidths = [200, 400]
            let report = Builder(source: root.appendingPathComponent("src").path, destination: root.appendingPathComponent(name).path,
                                 options: options).run()
            #expect(report.images.rendered == 4, "\(report.problems)")
            outputs.append(try BuilderTests.tree(root.appendingPathComponent(name)))
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].keys.filter { $0.hasSuffix(".avif") || $0.hasSuffix(".webp") }.count == 4)
    }

    @Test func anUnchangedRebuildReadsOnlyFilesWithReferences() throws {
        let root = try BuilderTests.site()
        defer { try? FileManager.default.removeItem(at: root) }
        // The digest cache keeps no file changed within the last second (same-tick rewrites).
        Thread.sleep(forTimeInterval: 1.1)
        let cold = BuilderTests.build(root)
        #expect(cold.read == cold.files)
        let warm = BuilderTests.build(root)
        // index.html, app.css, base.css, a.css, b.css and app.js reference something; the font,
        // the SVG, the source map and robots.txt are known by their stat.
        #expect(warm.read == 6, "read \(warm.read) of \(warm.files)")
        #expect(warm.reused == warm.files)
        // A changed file is read again (its stat changed), and its new bytes are used.
        try "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"3\"/></svg>\n".write(
            to: root.appendingPathComponent("src/img/cat.svg"), atomically: true, encoding: .utf8)
        let touched = BuilderTests.build(root)
        #expect(touched.read == 7)
        let svg = try #require(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("dist/img").path)
            .first { $0.hasSuffix(".svg") })
        #expect(try String(contentsOf: root.appendingPathComponent("dist/img/\(svg)"), encoding: .utf8).contains("circle"))
    }

    @Test func progressDrawsABarOnATerminalAndLinesElsewhere() {
        let out = Lines()
        let bar = BuildProgress(style: .bar) { out.append($0) }
        bar.begin("writing", total: 3, bytes: 3 << 20)
        bar.advance(bytes: 1 << 20)
        Thread.sleep(forTimeInterval: 0.15)
        bar.advance(bytes: 1 << 20)
        bar.advance(bytes: 1 << 20)
        bar.finish()
        #expect(out.all.contains { $0.hasPrefix("\r\u{1B}[K") && $0.contains("writing [") && $0.contains("3.0 MiB") })
        #expect(out.all.last == "\n")
        #expect(out.all.contains { $0.contains("3/3 files") && $0.contains("done in") })

        let log = Lines()
        let lines = BuildProgress(style: .lines(interval: 0.05)) { log.append($0) }
        lines.begin("writing", total: 1000, bytes: 1000)
        for i in 0..<1000 {
            lines.advance(bytes: 1)
            if i == 400 { Thread.sleep(forTimeInterval: 0.6) }
        }
        #expect(log.all.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        #expect(log.all.contains { $0.contains("ETA") }, "\(log.all)")
        #expect(log.all.last?.contains("1,000/1,000 files") == true)
    }

    @Test func theNewTreeIsExchangedWithTheOldInOneStep() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-swap-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let old = root.appendingPathComponent("dist"), new = root.appendingPathComponent(".dist.building")
        for (dir, text) in [(old, "old"), (new, "new")] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try text.write(to: dir.appendingPathComponent("x"), atomically: true, encoding: .utf8)
        }
        #expect(TreeSwap.swap(new.path, into: old.path) == nil)
        #expect(try String(contentsOf: old.appendingPathComponent("x"), encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["dist"])
        // Into a place that does not exist yet: a rename.
        try FileManager.default.createDirectory(at: new, withIntermediateDirectories: true)
        #expect(TreeSwap.swap(new.path, into: root.appendingPathComponent("other").path) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["dist", "other"])
    }
}

/// Strings written from a progress callback.
final class Lines: @unchecked Sendable {
    private var lines: [String] = []
    private let lock = NSLock()
    func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
