import Foundation
import Testing
import WharfAssets
import WharfImage
@testable import WharfServer

/// The `images.*` keys: TOML, environment, presets checked at load, errors naming the key.
@Suite struct ImageConfigTests {
    @Test func tomlAndEnvironment() throws {
        var c = ServerConfiguration()
        try ConfigLoader.apply(toml: """
            [images]
            workers = 3
            queue_limit = 10
            timeout = 2.5
            cache_dir = "/var/cache/wharf"
            allowed_widths = [320, 640, 1280]
            allow_upscale = true
            auto_format = true
            avif_effort = 4
            signing_keys = ["0123456789abcdef0123", "fedcba9876543210fedc"]
            signature_bytes = 16
            [images.presets.thumb]
            w = 320
            h = 200
            fit = "cover"
            q = 60
            """, to: &c)
        #expect(c.images.workers == 3 && c.images.queueLimit == 10 && c.images.options.timeout == 2.5)
        #expect(c.images.cacheDirectory == "/var/cache/wharf")
        #expect(c.images.options.allowedWidths == [320, 640, 1280])
        #expect(c.images.options.allowUpscale && c.images.options.autoFormatByDefault)
        #expect(c.images.options.signingKeys.count == 2 && c.images.options.signatureBytes == 16)
        #expect(c.images.options.presets["thumb"]?.count == 4)
        try ConfigLoader.apply(environment: [
            "WHARF_IMAGES_ALLOW_UPSCALE": "false", "WHARF_IMAGES_ALLOWED_WIDTHS": "100, 200",
            "WHARF_IMAGES_SIGNING_KEYS": "a-rotated-key-of-16+,another-key-16bytes",
        ], to: &c)
        #expect(!c.images.options.allowUpscale)
        #expect(c.images.options.allowedWidths == [100, 200])
        #expect(c.images.options.signingKeys == [Array("a-rotated-key-of-16+".utf8), Array("another-key-16bytes".utf8)])
    }

    @Test(arguments: [
        ("[images]\nworkers = -1", "images.workers"),
        ("[images]\nallow_upscale = 1", "images.allow_upscale"),
        ("[images]\nallowed_widths = [0]", "images.allowed_widths"),
        ("[images]\nallowed_widths = \"640\"", "images.allowed_widths"),
        ("[images]\nsigning_keys = [\"short\"]", "images.signing_keys"),
        ("[images]\nsignature_bytes = 4", "images.signature_bytes"),
        ("[images]\nwebp_quality = 0", "images.webp_quality"),
        ("[images]\nbogus = 1", "images.bogus"),
        ("[images.presets.big]\nw = 100000", "images.presets.big"),
        ("[images.presets.odd]\nblur = 3", "images.presets.odd"),
        ("[images.presets.loop]\npreset = \"loop\"", "images.presets.loop"),
        ("[tags]\nheaders = [\"surrogate-keys\"]", "tags.headers"),
        ("[[tags.rules]]\nmatch = \"*.css\"\ntags = [\"CSS\"]", "tags.rules[0].tags"),
        ("[[tags.rules]]\nmatch = \"*.css\"\ntags = [\"a:b\"]", "tags.rules[0].tags"),
        ("[[tags.rules]]\ntags = [\"css\"]", "tags.rules[0].match"),
        ("[[tags.rules]]\nmatch = \"*.css\"\ntags = [\"css\"]\ncolour = 1", "tags.rules[0].colour"),
    ])
    func badValuesNameTheKey(toml: String, key: String) {
        var c = ServerConfiguration()
        #expect {
            try ConfigLoader.apply(toml: toml, to: &c)
        } throws: { error in
            (error as? ConfigError)?.key == key
        }
    }

    @Test func tags() throws {
        var c = ServerConfiguration()
        try ConfigLoader.apply(toml: """
            [tags]
            headers = ["surrogate-key", "xkey"]
            build_id = "2026-12-01"
            [[tags.rules]]
            match = "/blog/**"
            tags = ["blog", "content"]
            """, to: &c)
        #expect(c.tags.headers == [.surrogateKey, .xkey])
        #expect(c.tags.buildID == "2026-12-01")
        #expect(c.tags.fields(forPath: "/blog/a.html").first?.1 == "/blog/a.html build.2026-12-01 blog content /blog/ /")
    }

    @Test func badEnvironmentNamesTheVariable() {
        var c = ServerConfiguration()
        #expect {
            try ConfigLoader.apply(environment: ["WHARF_IMAGES_AUTO_FORMAT": "maybe"], to: &c)
        } throws: { error in
            (error as? ConfigError)?.key == "WHARF_IMAGES_AUTO_FORMAT"
        }
    }
}
