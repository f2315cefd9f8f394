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
