import Foundation
import Logging
import Testing
import WharfCompression
import WharfHTTP
@testable import WharfAssets

@Suite struct CatalogScannerTests {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-assets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func scanner(memoryMax: Int = 1 << 20) -> CatalogScanner {
        var o = CatalogOptions(root: root.path)
        o.memoryMaxFileBytes = memoryMax
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return CatalogScanner(options: o, logger: logger)
    }

    let css = Array(String(repeating: "a { color: red }\n", count: 64).utf8)

    @Test func etagIsContentDerivedAndStableAcrossMtimes() throws {
        try write("a.css", css)
        let first = try #require(try scanner().scan()).assets["/a.css"]
        // Same bytes under a different mtime (another replica, another deploy): same ETag.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1000)],
                                              ofItemAtPath: root.appendingPathComponent("a.css").path)
        let second = try #require(try scanner().scan()).assets["/a.css"]
        #expect(first?.identity.etag == second?.identity.etag)
        #expect(first?.identity.etag.isWeak == false)
        #expect(first?.identity.etag.opaqueTag.count == 32)
        #expect(second?.lastModified == 1000)
        #expect(first?.contentType == "text/css; charset=utf-8")
    }

    /// `wharf build`'s manifest: hashes it records are used as they are (no read, no hash) while
    /// the file has the recorded size and is no newer than the manifest; the build id comes along.
    @Test func aBuildManifestsHashesAreTrustedWhileTheFilesAreAsBuilt() throws {
        let recorded = String(repeating: "ab", count: 32)   // deliberately not the bytes' hash
        let brRecorded = String(repeating: "cd", count: 32)
        try write("app.1a2b3c4d.css", css)
        try write("app.1a2b3c4d.css.br", Array("not brotli, but recorded".utf8))
        try write("big.bin", Array(repeating: 7, count: 300_000))
        let manifest = """
            {"assets": {"app.css": {"path": "app.1a2b3c4d.css", "size": \(css.count), "sha256": "\(recorded)",
              "encodings": {"br": {"size": 24, "sha256": "\(brRecorded)"}}},
              "big.bin": {"path": "big.bin", "size": 300000, "sha256": "\(recorded)", "encodings": {}}},
             "build_id": "0123456789abcdef", "settings": "x", "version": 2}
            """
        let old = Date(timeIntervalSinceNow: -60)
        for name in ["app.1a2b3c4d.css", "app.1a2b3c4d.css.br", "big.bin"] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: root.appendingPathComponent(name).path)
        }
        try write("asset-manifest.json", Array(manifest.utf8))
        let s = scanner(memoryMax: 1024)
        let snap = try #require(try s.scan())
        #expect(snap.buildID == "0123456789abcdef")
        let app = try #require(snap.assets["/app.1a2b3c4d.css"])
        #expect(app.identity.etag.opaqueTag == String(recorded.prefix(32)))
        // The recorded sibling is taken without decoding it (the build wrote it from its source).
        #expect(app.precompressed.map(\.etag.opaqueTag) == [String(brRecorded.prefix(32)) + "-br"])
        // A file too large for memory is not read at all: its recorded hash is its ETag.
        #expect(snap.assets["/big.bin"]?.identity.etag.opaqueTag == String(recorded.prefix(32)))

        // Edited after the build (newer than the manifest): hashed as usual, sibling verified again.
        try write("app.1a2b3c4d.css", css)
        let edited = try #require(try s.scan())
        #expect(edited.assets["/app.1a2b3c4d.css"]?.identity.etag.opaqueTag == ContentHash.of(css))
        #expect(edited.assets["/app.1a2b3c4d.css"]?.precompressed.isEmpty == true)
        // A different size: hashed as usual, whatever the mtime.
        try write("big.bin", Array(repeating: 7, count: 300_001))
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: root.appendingPathComponent("big.bin").path)
        let resized = try #require(try s.scan())
        #expect(resized.assets["/big.bin"]?.identity.etag.opaqueTag == ContentHash.of(Array(repeating: 7, count: 300_001)))
        // No manifest, no build id.
        try FileManager.default.removeItem(at: root.appendingPathComponent("asset-manifest.json"))
        #expect(try #require(try s.scan()).buildID == nil)
    }

    @Test func siblingsAreVerifiedAgainstTheirSource() throws {
        try write("a.css", css)
        try write("a.css.br", try Brotli.compress(css))
        try write("a.css.gz", try Gzip.compress(Array("something else entirely".utf8)))
        let snap = try #require(try scanner().scan())
        let a = try #require(snap.assets["/a.css"])
        #expect(a.precompressed.map(\.coding) == [.br]) // the stale .gz is ignored
        #expect(a.precompressed[0].etag.opaqueTag.hasSuffix("-br"))
        #expect(snap.assets["/a.css.br"] == nil)        // a sibling is not a URL of its own
        #expect(snap.assets["/a.css.gz"] == nil)
    }

    @Test func gzOfAnIncompressibleOrMissingSourceIsAnOrdinaryFile() throws {
        try write("archive.tar.gz", try Gzip.compress(Array("tar".utf8)))
        let snap = try #require(try scanner().scan())
        #expect(snap.assets["/archive.tar.gz"] != nil)
    }

    @Test func dotfilesHiddenExceptWellKnown() throws {
        try write(".env", Array("x".utf8))
        try write(".git/config", Array("x".utf8))
        try write("dir/.secret", Array("x".utf8))
        try write(".well-known/security.txt", Array("x".utf8))
        let snap = try #require(try scanner().scan())
        #expect(Set(snap.assets.keys) == ["/.well-known/security.txt"])
    }

    @Test func symlinksLeavingTheRootAreRefused() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-outside-\(UUID().uuidString)")
        try Data("secret".utf8).write(to: outside)
        try write("inside.txt", Array("ok".utf8))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("leak.txt").path,
                                                   withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("alias.txt").path,
                                                   withDestinationPath: "inside.txt")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("etc").path,
                                                   withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("loop").path,
                                                   withDestinationPath: ".")
        let snap = try #require(try scanner().scan())
        #expect(snap.assets["/leak.txt"] == nil)
        #expect(snap.assets["/etc/passwd"] == nil)
        #expect(snap.assets["/alias.txt"] != nil)
        #expect(snap.assets.keys.allSatisfy { !$0.hasPrefix("/etc") })
    }

    @Test func directoriesAndIndexFiles() throws {
        try write("index.html", Array("home".utf8))
        try write("docs/index.html", Array("docs".utf8))
        try write("docs/api/x.txt", Array("x".utf8))
        let snap = try #require(try scanner().scan())
        #expect(snap.assets["/"]?.urlPath == "/index.html")
        #expect(snap.assets["/docs/"]?.urlPath == "/docs/index.html")
        #expect(snap.assets["/docs/api/"] == nil)
        #expect(snap.directories == ["/docs", "/docs/api"])
    }

    @Test func largeFilesStreamFromAnOpenDescriptor() throws {
        let big = [UInt8](repeating: 7, count: 10_000)
        try write("big.bin", big)
        try write("small.bin", [1, 2, 3])
        let snap = try #require(try scanner(memoryMax: 1000).scan())
        guard case .file(let f) = snap.assets["/big.bin"]?.identity.body else {
            Issue.record("expected a file body")
            return
        }
        #expect(try f.readAll(size: 10_000) == big)
        guard case .memory(let m) = snap.assets["/small.bin"]?.identity.body else {
            Issue.record("expected a memory body")
            return
        }
        #expect(m == [1, 2, 3])
    }

    @Test func rescanReportsOnlyRealChanges() throws {
        try write("a.txt", Array("one".utf8))
        let s = scanner()
        let first = try #require(try s.scan())
        #expect(try s.scan() == nil) // nothing changed
        try write("a.txt", Array("two".utf8))
        try write("b.txt", Array("new".utf8))
        let second = try #require(try s.scan())
        #expect(second.generation == first.generation + 1)
        #expect(second.assets["/a.txt"]?.identity.etag != first.assets["/a.txt"]?.identity.etag)
        #expect(second.assets["/b.txt"] != nil)
        try FileManager.default.removeItem(at: root.appendingPathComponent("b.txt"))
        #expect(try s.scan()?.assets["/b.txt"] == nil)
    }

    @Test func missingRootIsAnError() {
        var o = CatalogOptions(root: "/nonexistent/wharf")
        o.memoryMaxFileBytes = 1
        #expect(throws: AssetError.self) { _ = try CatalogScanner(options: o, logger: Logger(label: "t")).scan() }
    }
}
