import ArgumentParser
import Foundation
import WharfBuild
import WharfHTTP
import WharfServer

/// `wharf build`: the build-time asset optimizer a site's build script runs before a deploy.
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fingerprint, rewrite references, precompress and write asset-manifest.json: SRC → DIST.",
        discussion: """
            Files matched by build.fingerprint get content-hashed names (app.3f9a2c1b.css) and every \
            reference to them in HTML, CSS and source-map comments is rewritten; compressible files get \
            .br (quality 11) and .gz (level 9) when those are at most build.compress_min_ratio of the \
            original. DIST is replaced only when the whole build succeeded. Exit status: 0 built; 1 some \
            files failed (each named); 2 usage.
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
        options.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        options.strict = strict
        options.cacheDirectory = cacheDirectory == "off" ? nil : cacheDirectory
        if clean, cacheDirectory != "off" { try? FileManager.default.removeItem(atPath: cacheDirectory) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("SRC \(source) is not a directory")
        }
        let quiet = json
        let report = Builder(source: source, destination: out, options: options).run { line in
            if !quiet { FileHandle.standardError.write(Data("build: \(line)\n".utf8)) }
        }
        if json {
            print(Self.json(report))
        } else {
            for p in report.problems { FileHandle.standardError.write(Data("\(p)\n".utf8)) }
            print(Self.summary(report, out: out))
        }
        if report.failed { throw ExitCode(1) }
    }

    static func summary(_ r: Builder.Report, out: String) -> String {
        func kb(_ n: Int) -> String { String(format: "%.1f KiB", Double(n) / 1024) }
        var s = "\(r.failed ? "failed" : "built") \(out): \(r.files) files (\(kb(r.bytesIn))), \(r.fingerprinted) fingerprinted, build id \(r.buildID)\n"
        s += "  compressions: \(r.compressions.run) run, \(r.compressions.cached) from the build cache; \(r.reused) outputs unchanged\n"
        s += "  br:   \(r.brotli.files) files, \(kb(r.brotli.before)) → \(kb(r.brotli.after))\n"
        s += "  gzip: \(r.gzip.files) files, \(kb(r.gzip.before)) → \(kb(r.gzip.after))\n"
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
            "compressions": ["run": r.compressions.run, "cached": r.compressions.cached], "reused": r.reused,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
