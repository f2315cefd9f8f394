import Foundation
import Testing
import WharfCompression
@testable import WharfBuild

/// `Builder` on small sites written to a temporary directory.
@Suite struct BuilderTests {
    /// A site: HTML with srcset and inline style, CSS with url() (relative and root-relative) and
    /// @import, JS with a source map, a font, an image, a CSS @import cycle and a missing file.
    static func site() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-build-\(UUID().uuidString)")
        func put(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent("src/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try put("index.html", """
            <!doctype html><link rel="stylesheet" href="css/app.css"><script src="/js/app.js"></script>
            <img src="img/cat.svg" srcset="img/cat.svg 1x, /img/cat.svg?v=2 2x" alt="">
            <div style="background: url('img/cat.svg')"></div><a href="https://example.com/x.css">x</a>
            <img src="img/missing.png">
            """)
        try put("css/app.css", "@import \"base.css\";\nbody { background: url(../img/cat.svg) }\n"
                + (1...80).map { ".c\($0) { color: #\($0 % 10)\($0 % 10)\($0 % 10); padding: \($0)px }" }.joined(separator: "\n") + "\n")
        try put("css/base.css", "@font-face { font-family: x; src: url(\"/fonts/x.woff2\") format(\"woff2\") }\n")
        try put("css/a.css", "@import 'b.css';\n.a{}\n")
        try put("css/b.css", "@import 'a.css';\n.b{}\n")
        try put("js/app.js", "console.log('hi');\n" + String(repeating: "function f(){return 1}\n", count: 40) + "//# sourceMappingURL=app.js.map\n")
        try put("js/app.js.map", "{\"version\":3,\"sources\":[\"app.ts\"],\"mappings\":\"\"}\n")
        try put("img/cat.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>\n")
        try put("fonts/x.woff2", "wOF2 not really a font but bytes\n")
        try put("robots.txt", "User-agent: *\n")
        return root
    }

    static func build(_ root: URL, strict: Bool = false) -> Builder.Report {
        var options = BuildOptions()
        options.jobs = 2
        options.strict = strict
        options.cacheDirectory = root.appendingPathComponent("cache").path
        return Builder(source: root.appendingPathComponent("src").path, destination: root.appendingPathComponent("dist").path,
                       options: options).run()
    }

    static func tree(_ dir: URL) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: dir.path)! {
            var isDirectory: ObjCBool = false
            let full = dir.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: full.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[path] = try Array(Data(contentsOf: full))
            }
        }
        return out
    }

    static func text(_ files: [String: [UInt8]], _ prefix: String, _ suffix: String) -> (name: String, text: String)? {
        guard let name = files.keys.first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }) else { return nil }
        return (name, String(decoding: files[name]!, as: UTF8.self))
    }

    @Test func fingerprintsAndRewritesEveryKindOfReference() throws {
        let root = try Self.site()
        defer { try? FileManager.default.removeItem(at: root) }
        let report = Self.build(root)
        #expect(!report.failed, "\(report.problems)")
        let files = try Self.tree(root.appendingPathComponent("dist"))
        let css = try #require(Self.text(files, "css/app.", ".css"))
        let base = try #require(Self.text(files, "css/base.", ".css"))
        let svg = try #require(files.keys.first { $0.hasPrefix("img/cat.") && $0.hasSuffix(".svg") })
        let js = try #require(Self.text(files, "js/app.", ".js"))
        let map = try #require(files.keys.first { $0.hasPrefix("js/app.js.") && $0.hasSuffix(".map") })
        let font = try #require(files.keys.first { $0.hasPrefix("fonts/x.") && $0.hasSuffix(".woff2") })
        for name in [css.name, base.name, svg, js.name, map, font] {
            #expect(name.range(of: #"\.[0-9a-f]{8,}\.[a-z0-9]+$"#, options: .regularExpression) != nil, "\(name) is not fingerprinted")
        }
        // Entry documents and well-known names keep their names.
        #expect(files["index.html"] != nil && files["robots.txt"] != nil)
        let html = String(decoding: files["index.html"]!, as: UTF8.self)
        let svgName = (svg as NSString).lastPathComponent
        #expect(html.contains("href=\"\(css.name)\"") && html.contains("src=\"/\(js.name)\""))
        #expect(html.contains("srcset=\"img/\(svgName) 1x, /img/\(svgName)?v=2 2x\""))
        #expect(html.contains("url('img/\(svgName)')") && html.contains("https://example.com/x.css"))
        #expect(css.text.contains("@import \"\((base.name as NSString).lastPathComponent)\";"))
        #expect(css.text.contains("url(../img/\(svgName))"))
        #expect(base.text.contains("url(\"/\(font)\")"))
        #expect(js.text.contains("sourceMappingURL=\((map as NSString).lastPathComponent)"))
        // The fingerprint is of the final bytes.
        let hex = (css.name as NSString).deletingPathExtension.split(separator: ".").last!
        let digest = SHA256Hex.of(files[css.name]!)
        #expect(digest.hasPrefix(String(hex)))
        // The missing image and the @import cycle are reported, not fatal.
        #expect(report.problems.contains { $0.path == "/index.html" && $0.message.contains("img/missing.png") && $0.severity == .warning })
        #expect(report.problems.contains { $0.message.contains("reference cycle: /css/a.css → /css/b.css") })
        let a = try #require(Self.text(files, "css/a.", ".css")), b = try #require(Self.text(files, "css/b.", ".css"))
        #expect(a.text.contains((b.name as NSString).lastPathComponent) && b.text.contains((a.name as NSString).lastPathComponent))
        // The manifest maps logical names to outputs, with sizes, hashes and encodings.
        let manifest = try JSONSerialization.jsonObject(with: Data(files["asset-manifest.json"]!)) as! [String: Any]
        let assets = manifest["assets"] as! [String: [String: Any]]
        #expect(assets["css/app.css"]?["path"] as? String == css.name)
        let encodings = assets["css/app.css"]?["encodings"] as? [String: [String: Any]]
        #expect(encodings?.keys.sorted() == ["br", "gzip"])
        #expect(encodings?["br"]?["sha256"] as? String == SHA256Hex.of(files[css.name + ".br"]!))
        #expect(encodings?["gzip"]?["size"] as? Int == files[css.name + ".gz"]!.count)
        #expect((manifest["build_id"] as? String)?.count == 16)
    }

    @Test func aChangedImageChangesTheStylesheetsThatReferenceIt() throws {
        let root = try Self.site()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = Self.build(root)
        let before = try Self.tree(root.appendingPathComponent("dist"))
        try "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n".write(to: root.appendingPathComponent("src/img/cat.svg"), atomically: true, encoding: .utf8)
        _ = Self.build(root)
        let after = try Self.tree(root.appendingPathComponent("dist"))
        #expect(Self.text(before, "css/app.", ".css")?.name != Self.text(after, "css/app.", ".css")?.name)
        #expect(Self.text(before, "css/base.", ".css")?.name == Self.text(after, "css/base.", ".css")?.name)
        #expect(before["index.html"] != after["index.html"])
    }

    @Test func twoBuildsOfTheSameTreeAreByteIdentical() throws {
        let root = try Self.site()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = Self.build(root)
        let first = try Self.tree(root.appendingPathComponent("dist"))
        _ = Self.build(root)
        #expect(try Self.tree(root.appendingPathComponent("dist")) == first)
        // No staging directories left beside DIST.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == [".dist.lock", "cache", "dist", "src"])
    }

    @Test func aRebuildCompressesOnlyWhatChanged() throws {
        let root = try Self.site()
        defer { try? FileManager.default.removeItem(at: root) }
        let cold = Self.build(root)
        #expect(cold.compressions.run > 0 && cold.compressions.cached == 0)
        let warm = Self.build(root)
        // Nothing changed: every output is the previous build's file, linked, not written.
        #expect(warm.compressions.run == 0 && warm.reused == warm.files)
        // Without the previous DIST, the build cache still spares every compression.
        try FileManager.default.removeItem(at: root.appendingPathComponent("dist"))
        let fresh = Self.build(root)
        #expect(fresh.compressions.run == 0 && fresh.compressions.cached == cold.compressions.run && fresh.reused == 0)
        // base.css is too small to compress, but app.css imports it (its bytes change with the new
        // name) and index.html links app.css: two files, br and gzip each.
        try "@font-face { font-family: y; src: url(\"/fonts/x.woff2\") }\n".write(
            to: root.appendingPathComponent("src/css/base.css"), atomically: true, encoding: .utf8)
        let touched = Self.build(root)
        #expect(touched.compressions.run == 4, "\(touched.compressions)")
    }

    @Test func precompressedSiblingsDecodeAndAreNoLargerThanTheStockTools() throws {
        let root = try Self.site()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = Self.build(root)
        let dist = root.appendingPathComponent("dist")
        let files = try Self.tree(dist)
        let compressed = files.keys.filter { $0.hasSuffix(".br") || $0.hasSuffix(".gz") }
        #expect(compressed.count >= 4)
        for name in compressed {
            let original = String(name.dropLast(3))
            let plain = try #require(files[original])
            let decoded = name.hasSuffix(".br") ? try Brotli.decompress(files[name]!) : try Gzip.decompress(files[name]!)
            #expect(decoded == plain, "\(name) does not decode to \(original)")
            let stock = try Self.stock(name.hasSuffix(".br") ? ["/usr/bin/brotli", "-q", "11", "-c"] : ["/bin/gzip", "-9", "-n", "-c"],
                                       dist.appendingPathComponent(original).path)
            #expect(files[name]!.count <= stock, "\(name): \(files[name]!.count) bytes, the stock tool makes \(stock)")
        }
        // Files too small to pay are left alone (robots.txt, 14 bytes).
        #expect(files["robots.txt.br"] == nil && files["robots.txt.gz"] == nil)
    }

    @Test func aFailedStrictBuildLeavesTheOldOutputInPlace() throws {
        let root = try Self.site()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = Self.build(root)
        let before = try Self.tree(root.appendingPathComponent("dist"))
        try "changed\n".write(to: root.appendingPathComponent("src/robots.txt"), atomically: true, encoding: .utf8)
        let report = Self.build(root, strict: true)
        #expect(report.failed && report.problems.contains { $0.severity == .error && $0.message.contains("img/missing.png") })
        #expect(try Self.tree(root.appendingPathComponent("dist")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == [".dist.lock", "cache", "dist", "src"])
    }

    @Test func resolvingReferences() {
        #expect(Builder.resolve("../img/a.png", from: "/css/app.css") == "/img/a.png")
        #expect(Builder.resolve("/img/a.png", from: "/css/app.css") == "/img/a.png")
        #expect(Builder.resolve("a%20b.png", from: "/x/y.css") == "/x/a b.png")
        #expect(Builder.resolve("../../a.png", from: "/css/app.css") == nil)
        #expect(References.split("https://x/a.css") == nil && References.split("data:image/png;base64,xx") == nil)
        #expect(References.split("#top") == nil && References.split("//cdn/x.js") == nil)
        #expect(References.split("a.css?v=1#x")! == ("a.css", "?v=1#x"))
    }

    /// Size of a stock tool's output for `path`.
    static func stock(_ argv: [String], _ path: String) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst()) + [path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return data.count
    }
}

enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try? p.run()
        input.fileHandleForWriting.write(Data(bytes))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
