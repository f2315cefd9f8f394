import ArgumentParser
import Foundation
import WharfBuild
import WharfHTTP
import WharfImage
import WharfServer

/// `wharf build`: the build-time asset optimizer a site's build script runs before a deploy.
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fingerprint, rewrite references, precompress and write asset-manifest.json: SRC → DIST.",
        discussion: """
            Files matched by build.fingerprint get content-hashed names (app.3f9a2c1b.css) and every \
            reference to them in HTML, CSS and source-map comments is rewritten; compressible files get \
            .br (quality 11) and .gz (level 9) when those are at most build.compress_min_ratio of the \
            original; images matched by build.images get AVIF and WebP variants at build.image_widths; \
            MP4s matched by build.hls get a static HLS rendition. DIST is replaced only when the whole \
            build succeeded. Progress goes to standard error (a bar on a terminal, a line every 5 s \
            otherwise). Exit status: 0 built; 1 some files failed (each named); 2 usage.
            """
    )

    @Argument(help: "The site's source directory.")
    var source: String

    @Option(help: "Output directory (replaced as a whole when the build succeeds).")
    var out: String

    @Option(help: "Path of a wharf.toml file for [build] (default: ./wharf.toml if present).")
    var config: String?

    @Option(help: "Files worked on at once (default: all cores).")
    var jobs: Int?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Flag(help: "Fail on references to missing files and on reference cycles.")
    var strict = false

    @Option(name: .customLong("cache-dir"), help: "Build cache, kept between builds outside DIST (default .wharf-cache/build; \"off\": none).")
    var cacheDirectory = ".wharf-cache/build"

    @Flag(help: "Empty the build cache first (DIST is always rebuilt as a whole).")
    var clean = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard source != out else { throw ValidationError("--out must differ from SRC") }
    }

    func run() throws {
        var path = config
        if path == nil, FileManager.default.fileExists(atPath: "wharf.toml") { path = "wharf.toml" }
        let c: ServerConfiguration
        do { c = try ConfigLoader.load(configPath: path) } catch { throw ValidationError("\(error)") }
        var options = BuildOptions()
        if let globs = c.build.fingerprint { options.fingerprint = globs.map { try! GlobPattern($0) } }
        if let globs = c.build.fingerprintExclude { options.fingerprintExclude = globs.map { try! GlobPattern($0) } }
        if let r = c.build.compressMinRatio { options.compressMinRatio = r }
        if let b = c.build.compressMinBytes { options.compressMinBytes = b }
        if let globs = c.build.images { options.images = globs.map { try! GlobPattern($0) } }
        if let w = c.build.imageWidths { options.imageWidths = w }
        if let f = c.build.imageFormats { options.imageFormats = f.compactMap(ImageFormat.init(rawValue:)) }
        if let globs = c.build.hls { options.hls = globs.map { try! GlobPattern($0) } }
        if let d = c.build.hlsSegmentDuration { options.hlsSegmentDuration = d }
        // The server's [images] quality, effort and limits: the build renders the bytes it would.
        options.imageOptions = c.images.options
        options.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        options.strict = strict
        options.cacheDirectory = cacheDirectory == "off" ? nil : cacheDirectory
        if clean, cacheDirectory != "off" { try? FileManager.default.removeItem(atPath: cacheDirectory) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("SRC \(source) is not a directory")
        }
        let style: BuildProgress.Style = json ? .off : isatty(2) == 1 ? .bar : .lines(interval: 5)
        let progress = BuildProgress(style: style) { FileHandle.standardError.write(Data($0.utf8)) }
        let report = Builder(source: source, destination: out, options: options, progress: progress).run()
        if json {
            print(Self.json(report))
        } else {
            for p in report.problems { FileHandle.standardError.write(Data("\(p)\n".utf8)) }
            print(Self.summary(report, out: out))
        }
        if report.failed { throw ExitCode(1) }
    }

    static func summary(_ r: Builder.Report, out: String) -> String {
        func size(_ n: Int) -> String {
            n < 1 << 20 ? String(format: "%.1f KiB", Double(n) / 1024) : String(format: "%.1f MiB", Double(n) / 1_048_576)
        }
        func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
            s.count >= n ? s : right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count)
        }
        var s = "\(r.failed ? "failed, DIST left as it was:" : "built") \(out): \(r.files) files, \(r.fingerprinted) fingerprinted, build id \(r.buildID)\n\n"
        s += "  \(pad("kind", 6)) \(pad("files", 7, right: true)) \(pad("bytes", 11, right: true)) \(pad("br", 11, right: true)) \(pad("gzip", 11, right: true))\n"
        for kind in ["html", "css", "js", "image", "font", "media", "other"] {
            guard let k = r.kinds[kind] else { continue }
            s += "  \(pad(kind, 6)) \(pad(String(k.files), 7, right: true)) \(pad(size(k.bytes), 11, right: true))"
                + " \(pad(k.brotli > 0 ? size(k.brotli) : "-", 11, right: true)) \(pad(k.gzip > 0 ? size(k.gzip) : "-", 11, right: true))\n"
        }
        s += "\n  br:     \(r.brotli.files) files, \(size(r.brotli.before)) → \(size(r.brotli.after))\n"
        s += "  gzip:   \(r.gzip.files) files, \(size(r.gzip.before)) → \(size(r.gzip.after))\n"
        if r.images.sources > 0 {
            s += "  images: \(r.images.sources) images, \(size(r.images.before)) → \(r.images.variants) variants, \(size(r.images.after))"
                + " (\(r.images.rendered) rendered, \(r.images.cached) from the build cache, \(r.images.reused) unchanged)\n"
        }
        if r.hls.renditions > 0 { s += "  hls:    \(r.hls.renditions) renditions, \(r.hls.files) files\n" }
        s += "  work:   \(r.read) files read, \(r.compressions.run) compressions run, \(r.compressions.cached) from the build cache, \(r.reused) outputs unchanged\n"
        s += String(format: "  %d problem(s), %.2f s", r.problems.count, r.seconds)
        return s
    }

    static func json(_ r: Builder.Report) -> String {
        let object: [String: Any] = [
            "ok": !r.failed, "files": r.files, "fingerprinted": r.fingerprinted, "bytes": r.bytesIn, "build_id": r.buildID,
            "br": ["files": r.brotli.files, "before": r.brotli.before, "after": r.brotli.after],
            "gzip": ["files": r.gzip.files, "before": r.gzip.before, "after": r.gzip.after],
            "problems": r.problems.map { ["path": $0.path, "message": $0.message, "severity": $0.severity.rawValue] },
            "seconds": (r.seconds * 1000).rounded() / 1000,
            "compressions": ["run": r.compressions.run, "cached": r.compressions.cached], "reused": r.reused, "read": r.read,
            "images": ["sources": r.images.sources, "variants": r.images.variants, "rendered": r.images.rendered,
                       "cached": r.images.cached, "reused": r.images.reused, "before": r.images.before, "after": r.images.after],
            "hls": ["renditions": r.hls.renditions, "files": r.hls.files],
            "kinds": r.kinds.mapValues { ["files": $0.files, "bytes": $0.bytes, "br": $0.brotli, "gzip": $0.gzip] },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
