import Testing
@testable import WharfHTTP

@Suite("MediaType")
struct MediaTypeTests {
    @Test(arguments: [
        ("html", "text/html; charset=utf-8"),
        ("htm", "text/html; charset=utf-8"),
        ("css", "text/css; charset=utf-8"),
        ("js", "text/javascript; charset=utf-8"),
        ("mjs", "text/javascript; charset=utf-8"),
        ("cjs", "text/javascript; charset=utf-8"),
        ("json", "application/json; charset=utf-8"),
        ("map", "application/json; charset=utf-8"),
        ("svg", "image/svg+xml; charset=utf-8"),
        ("xml", "application/xml; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        ("webmanifest", "application/manifest+json; charset=utf-8"),
        ("ics", "text/calendar; charset=utf-8"),
        ("vtt", "text/vtt; charset=utf-8"),
        ("rss", "application/rss+xml; charset=utf-8"),
        ("atom", "application/atom+xml; charset=utf-8"),
        ("wasm", "application/wasm"),
        ("ico", "image/x-icon"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("jxl", "image/jxl"),
        ("bmp", "image/bmp"),
        ("tif", "image/tiff"),
        ("tiff", "image/tiff"),
        ("woff", "font/woff"),
        ("woff2", "font/woff2"),
        ("ttf", "font/ttf"),
        ("otf", "font/otf"),
        ("eot", "application/vnd.ms-fontobject"),
        ("mp4", "video/mp4"),
        ("m4s", "video/iso.segment"),
        ("m4a", "audio/mp4"),
        ("mp3", "audio/mpeg"),
        ("webm", "video/webm"),
        ("ogg", "audio/ogg"),
        ("ogv", "video/ogg"),
        ("wav", "audio/wav"),
        ("flac", "audio/flac"),
        ("m3u8", "application/vnd.apple.mpegurl"),
        ("mpd", "application/dash+xml"),
        ("pdf", "application/pdf"),
        ("zip", "application/zip"),
        ("gz", "application/gzip"),
        ("br", "application/x-brotli"),
        ("tar", "application/x-tar"),
        ("HTML", "text/html; charset=utf-8"),
        ("Js", "text/javascript; charset=utf-8"),
        ("unknownext", "application/octet-stream"),
        ("", "application/octet-stream"),
        (".html", "application/octet-stream"),
    ])
    func contentTypes(ext: String, expected: String) {
        #expect(MediaType.contentType(forExtension: ext) == expected)
    }

    @Test(arguments: [
        ("/a/b.min.js", "text/javascript; charset=utf-8"),
        ("/index.HTML", "text/html; charset=utf-8"),
        ("/noext", "application/octet-stream"),
        ("/.hidden", "application/octet-stream"),
        ("/dir.d/file", "application/octet-stream"),
        ("/dir/", "application/octet-stream"),
        ("style.css", "text/css; charset=utf-8"),
    ])
    func contentTypeForPath(path: String, expected: String) {
        #expect(MediaType.contentType(forPath: path) == expected)
    }

    @Test(arguments: [
        "text/html; charset=utf-8", "text/css", "text/javascript; charset=utf-8", "application/javascript",
        "application/json", "application/manifest+json; charset=utf-8", "image/svg+xml", "application/xml",
        "application/wasm", "image/x-icon", "font/ttf", "font/otf", "application/vnd.ms-fontobject",
        "application/vnd.apple.mpegurl", "application/dash+xml", "text/plain", "text/csv", "text/calendar",
        "application/rss+xml", "APPLICATION/JSON", " text/vtt ; charset=utf-8",
    ])
    func compressible(type: String) {
        #expect(MediaType.isCompressible(contentType: type))
    }

    @Test(arguments: [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/jxl", "font/woff", "font/woff2",
        "video/mp4", "video/webm", "video/iso.segment", "audio/mpeg", "audio/mp4", "application/zip", "application/gzip",
        "application/x-brotli", "application/pdf", "application/octet-stream", "", "textual/plain",
    ])
    func notCompressible(type: String) {
        #expect(!MediaType.isCompressible(contentType: type))
    }

    @Test func everyTextTypeDeclaresUTF8AndEveryMappedTypeIsConsistent() {
        for ext in ["html", "css", "js", "json", "map", "svg", "xml", "txt", "csv", "md", "webmanifest", "ics", "vtt"] {
            let type = MediaType.contentType(forExtension: ext)
            #expect(type.hasSuffix("; charset=utf-8"), "\(ext)")
            #expect(MediaType.isCompressible(contentType: type), "\(ext)")
        }
    }
}
