import Crypto
import Foundation
import WharfHTTP
import WharfImage
import WharfMedia

/// Writes one entry's outputs into the staging directory — the file, its `.br`/`.gz`, an
/// image's responsive variants, an MP4's HLS rendition — linking what the previous DIST already
/// has instead of writing it again. Runs on a worker thread; holds at most this file's bytes.
struct OutputWriter {
    let entry: BuildEntry
    let staging: String
    let previous: Builder.Previous?
    let options: BuildOptions
    let images: ResponsiveImages

    /// What was written for the entry, for the report and the manifest.
    struct Result: Sendable {
        var asset: Manifest.Asset?
        var compressions = (run: 0, cached: 0)
        var reused = false
        var rendered = 0, renderedCached = 0, variantsReused = 0
        var hlsFiles = 0
        var problems: [String] = []
    }

    func write() -> Result {
        var result = Result()
        let logical = String(entry.path.dropFirst())
        let target = staging + entry.outputPath
        let digest = entry.outputDigest
        let old = previous.flatMap { p in p.manifest.assets[logical].map { (p.directory, $0) } }
        var loaded: [UInt8]?
        func bytes() throws -> [UInt8] {
            if let loaded { return loaded }
            let b = try entry.load()
            loaded = b
            return b
        }
        do {
            var encodings: [String: Manifest.Encoding] = [:]
            if let (directory, asset) = old, asset.path == String(entry.outputPath.dropFirst()), asset.sha256 == digest.hex,
               let linked = Self.linkPrevious(directory + entry.outputPath, to: target, size: entry.size, siblings: asset.encodings) {
                encodings = linked
                result.reused = true
            } else {
                let b = try bytes()
                try Data(b).write(to: URL(fileURLWithPath: target))
                encodings = try compress(b, digest: digest.hex, at: target, result: &result)
            }
            var asset = Manifest.Asset(path: String(entry.outputPath.dropFirst()), size: entry.size, sha256: digest.hex, encodings: encodings)
            if !options.imageFormats.isEmpty, options.images.contains(where: { $0.matches(entry.path) }) {
                do {
                    try variants(of: &asset, old: old, bytes: bytes, result: &result)
                } catch {
                    result.problems.append("no responsive variants: \(error)")
                }
            }
            if options.hls.contains(where: { $0.matches(entry.path) }) {
                do {
                    try package(&asset, old: old, result: &result)
                } catch {
                    result.problems.append("no HLS rendition: \(error)")
                }
            }
            result.asset = asset
        } catch {
            result.problems.append("\(error)")
        }
        return result
    }

    /// `.br` and `.gz` of a compressible output, each kept when it pays; from the build cache
    /// when this content was compressed before.
    func compress(_ bytes: [UInt8], digest: String, at path: String, result: inout Result) throws -> [String: Manifest.Encoding] {
        let type = MediaType.contentType(forPath: path)
        guard MediaType.isCompressible(contentType: type), bytes.count >= options.compressMinBytes else { return [:] }
        let limit = Double(bytes.count) * options.compressMinRatio
        let cache = CompressionCache(directory: options.cacheDirectory)
        var out: [String: Manifest.Encoding] = [:]
        for codec in [CompressionCache.Codec.br, .gz] {
            let r = try cache.compressed(bytes, digest: digest, codec: codec, limit: limit)
            if r.cached { result.compressions.cached += 1 } else { result.compressions.run += 1 }
            guard let c = r.bytes else { continue }
            try Data(c).write(to: URL(fileURLWithPath: path + codec.suffix))
            out[codec.contentCoding] = Manifest.Encoding(size: c.count, sha256: SHA256.hash(data: c).hex)
        }
        return out
    }

    /// The responsive variants of an image: linked from the previous DIST, read from the build
    /// cache or rendered.
    func variants(of asset: inout Manifest.Asset, old: (String, Manifest.Asset)?, bytes: () throws -> [UInt8],
                  result: inout Result) throws {
        let digest = entry.outputDigest
        let size: (width: Int, height: Int)
        if let (_, a) = old, a.sha256 == digest.hex, let w = a.width, let h = a.height {
            size = (w, h)
        } else {
            size = try images.size(of: try bytes())
        }
        asset.width = size.width
        asset.height = size.height
        var variants: [Manifest.Variant] = []
        for planned in images.plan(logicalPath: entry.path, outputPath: entry.outputPath, sourceDigest: digest, sourceWidth: size.width) {
            let target = staging + planned.outputPath
            let relative = String(planned.outputPath.dropFirst())
            if let (directory, a) = old, let v = a.variants?.first(where: { $0.path == relative }),
               Builder.fileSize(directory + planned.outputPath) == v.size, link(directory + planned.outputPath, target) == 0 {
                variants.append(v)
                result.variantsReused += 1
                continue
            }
            let r = try images.render(planned, source: try bytes())
            try Data(r.bytes).write(to: URL(fileURLWithPath: target))
            if r.cached { result.renderedCached += 1 } else { result.rendered += 1 }
            variants.append(Manifest.Variant(path: relative, format: planned.format.rawValue, width: planned.width,
                                             height: r.height, size: r.bytes.count, sha256: SHA256.hash(data: r.bytes).hex))
        }
        asset.variants = variants
    }

    /// The HLS rendition of an MP4, linked from the previous DIST or packaged now.
    func package(_ asset: inout Manifest.Asset, old: (String, Manifest.Asset)?, result: inout Result) throws {
        let directory = HLSPackaging.directory(forOutput: entry.outputPath)
        let master = String(directory.dropFirst()) + "/master.m3u8"
        var names: [String]?
        if let (previousDirectory, a) = old, a.hls == master {
            names = HLSPackaging.reuse(from: previousDirectory + directory, into: staging + directory)
        }
        if names == nil {
            names = try HLSPackaging.package(source: entry.sourcePath, into: staging + directory, segmentDuration: options.hlsSegmentDuration)
            // Playlists compress well; Apple asks for gzip on them.
            for name in names! where name.hasSuffix(".m3u8") {
                let path = staging + directory + "/" + name
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                let b = [UInt8](data)
                _ = try compress(b, digest: SHA256.hash(data: b).hex, at: path, result: &result)
            }
        }
        asset.hls = master
        result.hlsFiles = names?.count ?? 0
    }

    /// Links the previous build's file and the siblings its manifest lists; nil when any is not
    /// as recorded (then everything is written afresh).
    static func linkPrevious(_ old: String, to path: String, size: Int, siblings: [String: Manifest.Encoding]) -> [String: Manifest.Encoding]? {
        guard Builder.fileSize(old) == size, link(old, path) == 0 else { return nil }
        for (coding, encoding) in siblings {
            let suffix = coding == "br" ? ".br" : ".gz"
            guard Builder.fileSize(old + suffix) == encoding.size, link(old + suffix, path + suffix) == 0 else {
                for s in [".br", ".gz"] { unlink(path + s) }
                unlink(path)
                return nil
            }
        }
        return siblings
    }
}

extension BuildEntry {
    /// SHA-256 of the output bytes: of the rewritten bytes, or the source's when unchanged.
    var outputDigest: [UInt8] {
        if let digest { return digest }
        if rewritten, let bytes { return Array(SHA256.hash(data: bytes)) }
        return sourceDigest ?? Array(SHA256.hash(data: bytes ?? []))
    }
}

extension CompressionCache.Codec {
    var suffix: String { self == .br ? ".br" : ".gz" }
    var contentCoding: String { self == .br ? "br" : "gzip" }
}

extension Builder.Report {
    /// Adds one output's result.
    mutating func add(_ r: OutputWriter.Result, for e: BuildEntry) {
        for p in r.problems { problems.append(BuildProblem(e.path, p, severity: .error)) }
        compressions.run += r.compressions.run
        compressions.cached += r.compressions.cached
        if r.reused { reused += 1 }
        let kind = Self.kind(of: e.path)
        var totals = kinds[kind] ?? Builder.KindTotals()
        totals.files += 1
        totals.bytes += e.size
        if let a = r.asset {
            if let b = a.encodings["br"] { brotli.files += 1; brotli.before += a.size; brotli.after += b.size; totals.brotli += b.size }
            if let g = a.encodings["gzip"] { gzip.files += 1; gzip.before += a.size; gzip.after += g.size; totals.gzip += g.size }
            if let v = a.variants, !v.isEmpty {
                images.sources += 1
                images.variants += v.count
                images.before += a.size
                images.after += v.reduce(0) { $0 + $1.size }
            }
            if a.hls != nil { hls.renditions += 1; hls.files += r.hlsFiles }
        }
        kinds[kind] = totals
        images.rendered += r.rendered
        images.cached += r.renderedCached
        images.reused += r.variantsReused
    }

    static func kind(of path: String) -> String {
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "html", "htm": return "html"
        case "css": return "css"
        case "js", "mjs", "map": return "js"
        case "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico": return "image"
        case "woff", "woff2", "ttf", "otf", "eot": return "font"
        case "mp4", "webm", "m4a", "mp3", "ogg", "vtt": return "media"
        default: return "other"
        }
    }
}
