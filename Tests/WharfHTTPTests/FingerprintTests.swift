import Testing
@testable import WharfHTTP

@Suite("Fingerprint detection")
struct FingerprintTests {
    @Test(arguments: [
        "app.3f2a9c1d0e.js",
        "main.1a2b3c4d.css",
        "app-4f1c2b3a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b.css",
        "vendor-a1b2c3d4.js",
        "chunk.ABCDEF12.js",
        "logo.8f14e45f.svg",
        "index-BXc3m_Ad.js",
        "index-B-c3m_Ad.js",
        "index-DzX0a9Ql.css",
        "Button.Ab_cdEFg.js",
        "app.3f2a9c1d.js.map",
        "index-BXc3m_Ad.js.map",
        "/assets/app.3f2a9c1d0e.js",
        "report-20240101.pdf",
    ])
    func fingerprinted(name: String) {
        #expect(CachePolicy.isFingerprinted(name))
    }

    @Test(arguments: [
        "app-settings.js",
        "jquery.min.js",
        "v1.2.3.js",
        "style.css",
        "favicon.ico",
        "reallylongname.js",
        "abcdef12.js",
        ".3f2a9c1d.js",
        "app.deadbeef.js",
        "app.3f2a9c1.js",
        "app.3f2a9c1g.js",
        "app.3F2a9C1d.js.gz",
        "app.3f2a9c1d",
        "index-abcdefgh.js",
        "index-ABCDEFGH.js",
        "index-Abcdefgh.js",
        "jquery-3.7.1.min.js",
        "font-awesome.woff2",
        "bootstrap.bundle.js",
        "my-component.js",
        "README",
        "",
        "/assets/3f2a9c1d.js/",
        "app.js.map",
    ])
    func notFingerprinted(name: String) {
        #expect(!CachePolicy.isFingerprinted(name))
    }
}
