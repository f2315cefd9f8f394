import Crypto
import Foundation
import WharfCompression
import WharfHTTP
import WharfImage

/// `wharf build`: fingerprints, rewrites references, precompresses, renders responsive image
/// variants, packages HLS and writes a manifest, into a temporary directory that replaces DIST
/// only when everything is written.
public struct Builder: Sendable {
    public let source: String
    public let destination: String
    public let options: BuildOptions
    public let progress: BuildProgress

    public init(source: String, destination: String, options: BuildOptions, progress: BuildProgress = .silent) {
        self.source = source
        self.destination = destination
        self.options = options
        self.progress = progress
    }

    /// What a build did.
    public struct Report: Sendable {
        public var files = 0
        public var fingerprinted = 0
        public var bytesIn = 0
        /// Source files read in this build (the others were known by their `stat`).
        public var read = 0
        /// Compressions run in this build, and those answered from the build cache.
        public var compressions = (run: 0, cached: 0)
        /// Outputs hard-linked from the previous DIST because their bytes did not change.
        public var reused = 0
        public var brotli = (files: 0, before: 0, after: 0)
        public var gzip = (files: 0, before: 0, after: 0)
        /// Responsive variants: images that have them, variants, rendered now, from the build
        /// cache, linked from the previous DIST; source bytes and variant bytes.
        public var images = (sources: 0, variants: 0, rendered: 0, cached: 0, reused: 0, before: 0, after: 0)
        /// Pre-packaged HLS renditions and the files they hold.
        public var hls = (renditions: 0, files: 0)
        /// Files and bytes by kind (`html`, `css`, `js`, `image`, `font`, `media`, `other`).
        public var kinds: [String: KindTotals] = [:]
        public var problems: [BuildProblem] = []
        public var buildID = ""
        public var seconds = 0.0
        public var failed: Bool { problems.contains { $0.severity == .error } }
    }

    /// One row of the summary: files of a kind, their bytes, and the bytes of their `.br`/`.gz`.
    public struct KindTotals: Sendable, Equatable {
        public var files = 0
        public var bytes = 0
        public var brotli = 0
        public var gzip = 0
    }

    public func run() -> Report {
        let start = Date()
        var report = Report()
        let lock: BuildLock
        do {
            guard let l = try BuildLock.acquire(destination) else {
                report.problems.append(BuildProblem(destination, "another wharf build is writing it", severity: .error))
                return report
            }
            lock = l
        } catch {
            report.problems.append(BuildProblem(destination, "\(error)", severity: .error))
            return report
        }
        defer { lock.release() }
        for leftover in BuildLock.removeStaging(beside: destination) {
            progress.note("removed \(leftover), left by a build that was killed")
        }
        var entries: [String: BuildEntry] = [:]
        var directories: Set<String> = ["/"]
        var digests = DigestCache(directory: options.cacheDirectory, source: source)
        digests.load()

        // 1. Walk the tree (sorted, so everything after is in a stable order); `stat` each file.
        for relative in Self.files(under: source, report: &report, directories: &directories) {
            let path = "/" + relative
            guard let stamp = DigestCache.Stamp.of(source + path) else {
                report.problems.append(BuildProblem(path, "cannot be read", severity: .error))
                continue
            }
            entries[path] = BuildEntry(path: path, sourcePath: source + path, stamp: stamp, fingerprinted: options.fingerprints(path))
            report.bytesIn += stamp.size
        }
        report.files = entries.count

        // 2. Read what must be read, on all jobs: files the digest cache does not know (to hash
        //    them), and files whose references are rewritten (kept in memory).
        var toRead: [BuildEntry] = []
        for path in entries.keys.sorted() {
            let e = entries[path]!
            if let known = digests.lookup(path, e.stamp) {
                e.sourceDigest = known.digest
                if known.hasReferences { toRead.append(e) }
            } else {
                toRead.append(e)
            }
        }
        progress.begin("reading", total: toRead.count, bytes: toRead.reduce(0) { $0 + $1.stamp.size })
        let reading = toRead
        Self.parallel(reading.count, jobs: options.jobs) { [progress] i in
            let e = reading[i]
            do {
                let bytes = try e.load()
                e.sourceDigest = Array(SHA256.hash(data: bytes))
                if let kind = References.kind(of: e.path) {
                    var broken: [Int] = []
                    e.references = References.find(in: bytes, kind: kind, broken: &broken)
                    e.brokenLines = broken.map { References.line(of: $0, in: bytes) }
                    if !e.references.isEmpty || !broken.isEmpty { e.bytes = bytes }
                }
            } catch {
                e.problem = "\(error)"
            }
            progress.advance(bytes: e.stamp.size)
        }
        report.read = toRead.count
        for e in toRead {
            if let problem = e.problem {
                report.problems.append(BuildProblem(e.path, problem, severity: .error))
                entries[e.path] = nil
            } else if let digest = e.sourceDigest {
                // A broken file is read again next time, so its problem is reported again.
                digests.set(e.path, .init(stamp: e.stamp, digest: digest, hasReferences: e.bytes != nil))
            }
        }

        // 3. References, resolved to the tree's files.
        for path in entries.keys.sorted() {
            let e = entries[path]!
            for line in e.brokenLines {
                report.problems.append(BuildProblem(path, "line \(line): unterminated url( or @import, left as it is",
                                                    severity: options.strict ? .error : .warning))
            }
            var kept: [References.Reference] = []
            for ref in e.references {
                guard let (target, _) = References.split(ref.text) else { continue }
                guard let resolved = Self.resolve(target, from: path) else {
                    report.problems.append(BuildProblem(path, "reference \(ref.text) leaves the site's root",
                                                        severity: options.strict ? .error : .warning))
                    continue
                }
                if let t = entries[resolved] {
                    kept.append(ref)
                    if t.fingerprinted, resolved != path { e.dependencies.append(resolved) }
                } else if !directories.contains(resolved) && !directories.contains(String(resolved.dropLast()))
                            && entries[resolved + "/index.html"] == nil {
                    report.problems.append(BuildProblem(path, "references \(ref.text), which is not in the source tree",
                                                        severity: options.strict ? .error : .warning))
                }
            }
            e.references = kept
        }

        // 4. Fingerprints, dependencies first; a cycle is hashed as one unit.
        for component in Self.stronglyConnected(entries) {
            let members = component.map { entries[$0]! }
            if members.count > 1 || members[0].dependencies.contains(members[0].path) {
                report.problems.append(BuildProblem(component[0], "reference cycle: \(component.joined(separator: " → ")) → \(component[0])",
                                                    severity: options.strict ? .error : .warning))
            }
            // Rewrite what points outside the component; the component's own names come next.
            for m in members { Self.rewrite(m, entries, only: { !component.contains($0) }) }
            let unit = members.count == 1 ? [] : Array(SHA256.hash(data: members.flatMap { $0.bytes ?? $0.sourceDigest ?? [] }))
            for m in members where m.fingerprinted {
                let digest = members.count == 1 ? m.outputDigest : Array(SHA256.hash(data: unit + (m.bytes ?? m.sourceDigest ?? [])))
                m.outputPath = Self.fingerprintedName(m.path, digest: digest)
                if members.count == 1 { m.digest = digest }
                report.fingerprinted += 1
            }
            if members.count > 1 {
                for m in members { Self.rewrite(m, entries, only: { component.contains($0) }) }
            }
        }
        // Files nobody fingerprints (HTML) reference whatever they reference.
        for path in entries.keys.sorted() where !entries[path]!.fingerprinted {
            Self.rewrite(entries[path]!, entries, only: { _ in true })
        }

        // 5. Write into a temporary directory beside DIST on all jobs: each output, its `.br` and
        //    `.gz`, an image's variants, an MP4's HLS rendition. Unchanged outputs are linked
        //    from the previous DIST when it was made with the same settings.
        let parent = (destination as NSString).deletingLastPathComponent
        let staging = (parent.isEmpty ? "." : parent) + "/.\((destination as NSString).lastPathComponent).building-\(UUID().uuidString)"
        let outputs = entries.values.sorted { $0.outputPath < $1.outputPath }
        let old = Manifest.read(inTreeAt: destination)
        let previous = old.flatMap { $0.settings == options.outputSettings ? Previous(directory: destination, manifest: $0) : nil }
        let images = ResponsiveImages(widths: options.imageWidths, formats: options.imageFormats,
                                      pipeline: ImagePipeline(options: options.imageOptions), cache: options.cacheDirectory)
        if outputs.contains(where: { e in options.images.contains { $0.matches(e.path) } }), !options.imageFormats.isEmpty {
            do { try Vips.initialize() } catch {
                report.problems.append(BuildProblem("/", "responsive images: \(error)", severity: .error))
            }
        }
        Self.makeDirectories(for: outputs, in: staging)
        progress.begin("writing", total: outputs.count, bytes: outputs.reduce(0) { $0 + $1.stamp.size })
        let results = ResultBox(count: outputs.count)
        Self.parallel(outputs.count, jobs: options.jobs) { [progress, options] i in
            let e = outputs[i]
            results.set(i, OutputWriter(entry: e, staging: staging, previous: previous, options: options, images: images).write())
            progress.advance(bytes: e.stamp.size)
        }
        progress.finish()
        var manifest: [String: Manifest.Asset] = [:]
        for (e, r) in zip(outputs, results.values) {
            report.add(r, for: e)
            if let asset = r.asset { manifest[String(e.path.dropFirst())] = asset }
        }
        let built = Manifest(assets: manifest, settings: options.outputSettings)
        report.buildID = built.buildID
        do {
            try Data(built.encoded()).write(to: URL(fileURLWithPath: staging + "/" + Manifest.fileName))
        } catch {
            report.problems.append(BuildProblem("/" + Manifest.fileName, "cannot be written: \(error)", severity: .error))
        }
        if report.failed {
            try? FileManager.default.removeItem(atPath: staging)
        } else if let problem = TreeSwap.swap(staging, into: destination, jobs: options.jobs) {
            report.problems.append(BuildProblem(destination, problem, severity: .error))
            try? FileManager.default.removeItem(atPath: staging)
        }
        digests.save(keeping: entries.keys.sorted())
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// The previous DIST and its manifest, when made with this build's settings.
    struct Previous: Sendable {
        let directory: String
        let manifest: Manifest
    }

    /// Runs `body(0..<count)` on up to `jobs` threads.
    static func parallel(_ count: Int, jobs: Int, _ body: @Sendable @escaping (Int) -> Void) {
        let next = IndexCounter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, count))) { _ in
            while let i = next.take(below: count) { body(i) }
        }
    }

    /// Every output directory, created once up front rather than per file.
    static func makeDirectories(for outputs: [BuildEntry], in staging: String) {
        try? FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        for directory in Set(outputs.map { (staging + $0.outputPath as NSString).deletingLastPathComponent }).sorted() {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }

    // MARK: - steps

    /// Relative paths of the regular files under `root`, sorted, skipping dot-files (but not
    /// `.well-known/`) and symlinks. `readdir`, not FileManager's enumerator, which took a tenth of
    /// an unchanged rebuild's time.
    static func files(under root: String, report: inout Report, directories: inout Set<String>) -> [String] {
        var out: [String] = []
        func walk(_ relative: String) -> Bool {
            guard let dir = opendir(relative.isEmpty ? root : root + "/" + relative) else { return false }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." || (name.hasPrefix(".") && name != ".well-known") { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                var type = Int32(entry.pointee.d_type)
                if type == Int32(DT_UNKNOWN) {
                    var st = stat()
                    guard lstat(root + "/" + path, &st) == 0 else { continue }
                    type = st.st_mode & S_IFMT == S_IFDIR ? Int32(DT_DIR) : st.st_mode & S_IFMT == S_IFREG ? Int32(DT_REG) : Int32(DT_LNK)
                }
                if type == Int32(DT_DIR) {
                    directories.insert("/" + path)
                    if !walk(path) { report.problems.append(BuildProblem("/" + path, "cannot be read as a directory", severity: .error)) }
                } else if type == Int32(DT_REG) {
                    out.append(path)
                }
            }
            return true
        }
        if !walk("") { report.problems.append(BuildProblem(root, "cannot be read as a directory", severity: .error)) }
        return out.sorted()
    }

    /// `target` as a path from the root, resolved against the file at `from`; nil when `..`
    /// climbs out of the root.
    static func resolve(_ target: String, from: String) -> String? {
        let decoded = target.removingPercentEncoding ?? target
        var parts: [Substring] = decoded.hasBytePrefix("/") ? [] : from.split(separator: "/").dropLast()
        for p in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(p)
            }
        }
        return "/" + parts.joined(separator: "/") + (decoded.hasByteSuffix("/") && !parts.isEmpty ? "/" : "")
    }

    /// Points each reference of `entry` whose target passes `only` at the target's output name:
    /// only the file name part of the reference changes, so relative references stay relative.
    static func rewrite(_ entry: BuildEntry, _ entries: [String: BuildEntry], only: (String) -> Bool) {
        guard !entry.references.isEmpty, let bytes = entry.bytes else { return }
        var done: [(Range<Int>, String)] = []
        for ref in entry.references {
            guard let (target, suffix) = References.split(ref.text), let resolved = resolve(target, from: entry.path),
                  let t = entries[resolved], t.fingerprinted, t.outputPath != t.path, only(resolved) else { continue }
            let oldName = (resolved as NSString).lastPathComponent
            let newName = (t.outputPath as NSString).lastPathComponent
            guard let cut = target.range(of: oldName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? oldName, options: .backwards)
                    ?? target.range(of: oldName, options: .backwards) else { continue }
            done.append((ref.range, target.replacingCharacters(in: cut, with: newName) + suffix))
        }
        guard !done.isEmpty else { return }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64 * done.count)
        var at = 0
        for (range, text) in done {
            out.append(contentsOf: bytes[at..<range.lowerBound])
            out.append(contentsOf: Array(text.utf8))
            at = range.upperBound
        }
        out.append(contentsOf: bytes[at...])
        entry.bytes = out
        entry.rewritten = true
        // References were found in the previous text: find them again for the next pass.
        if let kind = References.kind(of: entry.path) { entry.references = References.find(in: out, kind: kind) }
    }

    /// `name.HASH.ext` with 8+ hex digits of the digest (extended until one is a digit, which
    /// the cache policy requires to recognise a fingerprint).
    static func fingerprintedName(_ path: String, digest: [UInt8]) -> String {
        let hex = fingerprint(of: digest.hex)
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let dot = name.lastIndex(of: ".")
        let stem = dot.map { String(name[..<$0]) } ?? name
        let ext = dot.map { String(name[$0...]) } ?? ""
        return (directory == "/" ? "" : directory) + "/" + stem + "." + hex + ext
    }

    /// The first 8 (or more, until one is a digit) characters of a hex digest.
    static func fingerprint(of hex: String) -> String {
        var length = 8
        while length < hex.count, !hex.prefix(length).contains(where: \.isNumber) { length += 1 }
        return String(hex.prefix(length))
    }

    /// Tarjan's strongly connected components over the fingerprinting dependencies, each
    /// component after those it depends on; members in path order.
    static func stronglyConnected(_ entries: [String: BuildEntry]) -> [[String]] {
        var index = 0
        var indices: [String: Int] = [:], low: [String: Int] = [:]
        var stack: [String] = [], onStack: Set<String> = []
        var out: [[String]] = []
        func visit(_ v: String) {
            indices[v] = index; low[v] = index; index += 1
            stack.append(v); onStack.insert(v)
            for w in entries[v]!.dependencies.sorted() {
                if indices[w] == nil {
                    visit(w)
                    low[v] = min(low[v]!, low[w]!)
                } else if onStack.contains(w) {
                    low[v] = min(low[v]!, indices[w]!)
                }
            }
            if low[v] == indices[v] {
                var component: [String] = []
                while let w = stack.popLast() {
                    onStack.remove(w)
                    component.append(w)
                    if w == v { break }
                }
                out.append(component.sorted())
            }
        }
        for v in entries.keys.sorted() where indices[v] == nil { visit(v) }
        return out
    }

    /// The size of a regular file, or nil (one `stat`, not Foundation's attribute dictionary).
    static func fileSize(_ path: String) -> Int? { DigestCache.Stamp.of(path)?.size }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Results written by index from several threads.
final class ResultBox: @unchecked Sendable {
    private var storage: [OutputWriter.Result?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: OutputWriter.Result) { lock.lock(); storage[i] = v; lock.unlock() }
    var values: [OutputWriter.Result] { storage.map { $0 ?? OutputWriter.Result(problems: ["not written"]) } }
}

/// Hands out 0, 1, 2, … to worker threads.
final class IndexCounter: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()
    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < limit else { return nil }
        defer { next += 1 }
        return next
    }
}
