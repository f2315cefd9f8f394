/// Content types by file extension, and whether a type is worth compressing.
public enum MediaType {
    /// Returned for unknown extensions; browsers will not sniff it into something executable.
    public static let fallback = "application/octet-stream"

    private static let utf8 = "; charset=utf-8"

    /// Extension → Content-Type. Text-like types carry the charset so browsers do not guess.
    private static let types: [String: String] = [
        // Documents and code
        "html": "text/html" + utf8,
        "htm": "text/html" + utf8,
        "xhtml": "application/xhtml+xml" + utf8,
        "css": "text/css" + utf8,
        "js": "text/javascript" + utf8,
        "mjs": "text/javascript" + utf8,
        "cjs": "text/javascript" + utf8,
        "json": "application/json" + utf8,
        "map": "application/json" + utf8,
        "jsonld": "application/ld+json" + utf8,
        "geojson": "application/geo+json" + utf8,
        "webmanifest": "application/manifest+json" + utf8,
        "xml": "application/xml" + utf8,
        "xsl": "application/xml" + utf8,
        "rss": "application/rss+xml" + utf8,
        "atom": "application/atom+xml" + utf8,
        "svg": "image/svg+xml" + utf8,
        "txt": "text/plain" + utf8,
        "csv": "text/csv" + utf8,
        "tsv": "text/tab-separated-values" + utf8,
        "md": "text/markdown" + utf8,
        "markdown": "text/markdown" + utf8,
        "yaml": "application/yaml" + utf8,
        "yml": "application/yaml" + utf8,
        "ics": "text/calendar" + utf8,
        "vtt": "text/vtt" + utf8,
        "srt": "application/x-subrip" + utf8,
        "wasm": "application/wasm",
        "pdf": "application/pdf",
        "epub": "application/epub+zip",
        // Images
        "ico": "image/x-icon",
        "png": "image/png",
        "apng": "image/apng",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "avif": "image/avif",
        "jxl": "image/jxl",
        "heic": "image/heic",
        "bmp": "image/bmp",
        "tif": "image/tiff",
        "tiff": "image/tiff",
        // Fonts
        "woff": "font/woff",
        "woff2": "font/woff2",
        "ttf": "font/ttf",
        "otf": "font/otf",
        "eot": "application/vnd.ms-fontobject",
        // Audio and video
        "mp4": "video/mp4",
        "m4v": "video/mp4",
        "m4s": "video/iso.segment",
        "m4a": "audio/mp4",
        "mp3": "audio/mpeg",
        "aac": "audio/aac",
        "webm": "video/webm",
        "weba": "audio/webm",
        "ogg": "audio/ogg",
        "oga": "audio/ogg",
        "opus": "audio/ogg",
        "ogv": "video/ogg",
        "wav": "audio/wav",
        "flac": "audio/flac",
        "mov": "video/quicktime",
        "ts": "video/mp2t",
        "m3u8": "application/vnd.apple.mpegurl",
        "mpd": "application/dash+xml",
        // 3D
        "glb": "model/gltf-binary",
        "gltf": "model/gltf+json",
        // Archives
        "zip": "application/zip",
        "gz": "application/gzip",
        "br": "application/x-brotli",
        "zst": "application/zstd",
        "tar": "application/x-tar",
        "7z": "application/x-7z-compressed",
    ]

    /// Content-Type for a file extension (lowercased, without dot); text-like types get "; charset=utf-8"
    /// (html, css, js/mjs, json, map, svg, xml, txt, csv, md, webmanifest, ics, vtt …); unknown → "application/octet-stream".
    public static func contentType(forExtension ext: String) -> String {
        if let type = types[ext] { return type }
        // Tolerate callers that did not lowercase; the table is all lowercase.
        if ext.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }), let type = types[ext.lowercased()] { return type }
        return fallback
    }

    /// Content-Type for the last segment of a path, from its final extension; no extension → fallback.
    public static func contentType(forPath path: String) -> String {
        let name = path.utf8.lastIndex(of: ASCII.slash).map { path[path.utf8.index(after: $0)...] } ?? Substring(path)
        guard let dot = name.utf8.lastIndex(of: ASCII.dot), dot > name.startIndex else { return fallback }
        return contentType(forExtension: String(name[name.utf8.index(after: dot)...]))
    }

    /// Whether on-the-fly/precompressed Brotli/Gzip makes sense (text, js, json, svg, xml, wasm, ico, ttf/otf/eot, m3u8, webmanifest…);
    /// false for already-compressed formats (jpeg, png, gif, webp, avif, jxl, woff/woff2, mp4, webm, m4s, mp3, zip, gz, br, pdf…).
    public static func isCompressible(contentType: String) -> Bool {
        ASCII.withBytes(contentType) { buf in
            var e = 0
            while e < buf.count, buf[e] != ASCII.semicolon { e += 1 }
            let (s, t) = ASCII.trim(buf, 0, e)
            guard s < t else { return false }
            // Compared in place, case-insensitively, so the per-response check does not allocate.
            if t - s > 5, ASCII.equalsLowercase(buf, s, s + 5, "text/") { return true }
            if t - s > 5, ASCII.equalsLowercase(buf, t - 5, t, "+json") { return true }
            if t - s > 4, ASCII.equalsLowercase(buf, t - 4, t, "+xml") { return true }
            return compressible.contains { ASCII.equalsLowercase(buf, s, t, $0) }
        }
    }

    /// Non-`text/*`, non-`+json`/`+xml` types that compress well.
    private static let compressible: [StaticString] = [
        "application/javascript", "application/x-javascript", "application/ecmascript",
        "application/json", "application/xml", "application/yaml", "application/x-subrip",
        "application/wasm", "application/vnd.apple.mpegurl", "application/x-mpegurl",
        "application/vnd.ms-fontobject", "application/x-tar",
        "image/x-icon", "image/vnd.microsoft.icon", "image/bmp",
        "font/ttf", "font/otf", "font/collection", "font/sfnt",
    ]
}
