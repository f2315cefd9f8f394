import Crypto
import Foundation
import WharfCompression
import WharfHTTP

/// `wharf build`: fingerprints, rewrites references, precompresses and writes a manifest,
/// into a temporary directory that replaces DIST only when everything is written.
public struct Builder {
    public let source: String
    public let destination: String
    public let options: BuildOptions

    public init(source: String, destination: String, options: BuildOptions) {
        self.source = source
        self.destination = destination
        self.options = options
    }

    /// What a build did.
    public struct Report: Sendable {
        public var files = 0
        public var fingerprinted = 0
        public var bytesIn = 0
        /// Compressions run in this build, and those answered from the build cache.
        public var compressions = (run: 0, cached: 0)
        /// Outputs hard-linked from the previous DIST because their bytes did not change.
        public var reused = 0
        public var brotli = (files: 0, before: 0, after: 0)
        public var gzip = (files: 0, before: 0, after: 0)
        public var problems: [BuildProblem] = []
        public var buildID = ""
        public var seconds = 0.0
        public var failed: Bool { problems.contains { $0.severity == .error } }
    }

    /// One file of the source tree, by its path from the root (`/css/app.css`).
    /// Mutated only by the sequential steps; the parallel write step only reads it.
    final class Entry: @unchecked Sendable {
        let path: String
        var bytes: [UInt8]
        var outputPath: String
        let fingerprinted: Bool
        var references: [References.Reference] = []
        /// Fingerprinted files this one references (paths), for the dependency order.
        var dependencies: [String] = []
        /// SHA-256 of `bytes` as they are written, when already computed for the name.
        var digest: [UInt8]?

        init(path: String, bytes: [UInt8], fingerprinted: Bool) {
            self.path = path
            self.bytes = bytes
            outputPath = path
            self.fingerprinted = fingerprinted
        }
    }

    public func run(progress: (String) -> Void = { _ in }) -> Report {
        let start = Date()
        var report = Report()
        var entries: [String: Entry] = [:]
        var directories: Set<String> = ["/"]
        // 1. Read the tree (sorted, so everything after is in a stable order).
        for relative in Self.files(under: source, report: &report, directories: &directories) {
            let path = "/" + relative
            guard let data = FileManager.default.contents(atPath: source + path) else {
                report.problems.append(BuildProblem(path, "cannot be read", severity: .error))
                continue
            }
            entries[path] = Entry(path: path, bytes: [UInt8](data), fingerprinted: options.fingerprints(path))
            report.bytesIn += data.count
        }
        report.files = entries.count
        progress("read \(entries.count) files")

        // 2. References, resolved to the tree's files.
        for path in entries.keys.sorted() {
            let e = entries[path]!
            guard let kind = References.kind(of: path) else { continue }
            for ref in References.find(in: e.bytes, kind: kind) {
                guard let (target, _) = References.split(ref.text) else { continue }
                guard let resolved = Self.resolve(target, from: path) else {
                    report.problems.append(BuildProblem(path, "reference \(ref.text) leaves the site's root",
                                                        severity: options.strict ? .error : .warning))
                    continue
                }
                if let t = entries[resolved] {
                    e.references.append(ref)
                    if t.fingerprinted, resolved != path { e.dependencies.append(resolved) }
                } else if !directories.contains(resolved) && !directories.contains(String(resolved.dropLast()))
                            && entries[resolved + "/index.html"] == nil {
                    report.problems.append(BuildProblem(path, "references \(ref.text), which is not in the source tree",
                                                        severity: options.strict ? .error : .warning))
                }
            }
        }

        // 3. Fingerprints, dependencies first; a cycle is hashed as one unit. Files that reference
        //    nothing (most of a site) keep their bytes: hash those on all jobs first.
        let leaves = entries.values.filter { $0.fingerprinted && $0.references.isEmpty }
        let next = IndexCounter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.jobs, leaves.count))) { _ in
            while let i = next.take(below: leaves.count) { leaves[i].digest = Array(SHA256.hash(data: leaves[i].bytes)) }
        }
        for component in Self.stronglyConnected(entries) {
            let members = component.map { entries[$0]! }
            if members.count > 1 || members[0].dependencies.contains(members[0].path) {
                report.problems.append(BuildProblem(component[0], "reference cycle: \(component.joined(separator: " → ")) → \(component[0])",
                                                    severity: options.strict ? .error : .warning))
            }
            // Rewrite what points outside the component; the component's own names come next.
            for m in members { m.bytes = Self.rewrite(m, entries, only: { !component.contains($0) }) }
            let unit = members.count == 1 ? [] : Array(SHA256.hash(data: members.flatMap(\.bytes)))
            for m in members where m.fingerprinted {
                let digest = members.count == 1 && m.references.isEmpty ? m.digest ?? Array(SHA256.hash(data: m.bytes))
                    : Array(SHA256.hash(data: unit + m.bytes))
                m.outputPath = Self.fingerprintedName(m.path, digest: digest)
                if members.count == 1 { m.digest = digest }
                report.fingerprinted += 1
            }
            if members.count > 1 {
                for m in members { m.bytes = Self.rewrite(m, entries, only: { component.contains($0) }) }
            }
        }
        // Files nobody fingerprints (HTML) reference whatever they reference.
        for path in entries.keys.sorted() where !entries[path]!.fingerprinted {
            let e = entries[path]!
            e.bytes = Self.rewrite(e, entries, only: { _ in true })
        }

        // 4. Write into a temporary directory beside DIST, compressing on `jobs` threads.
        let parent = (destination as NSString).deletingLastPathComponent
        let staging = (parent.isEmpty ? "." : parent) + "/.\((destination as NSString).lastPathComponent).building-\(UUID().uuidString)"
        let outputs = entries.values.sorted { $0.outputPath < $1.outputPath }
        let previous = Manifest.settings(inTreeAt: destination) == options.outputSettings ? destination : nil
        let results = Self.writeAll(outputs, into: staging, previous: previous, options: options)
        var manifest: [String: Manifest.Asset] = [:]
        for (e, r) in zip(outputs, results) {
            switch r {
            case .failure(let message):
                report.problems.append(BuildProblem(e.path, message, severity: .error))
            case .success(let w):
                report.compressions.run += w.compressed
                if w.reused { report.reused += 1 }
                report.compressions.cached += w.cached
                if let b = w.br { report.brotli.files += 1; report.brotli.before += e.bytes.count; report.brotli.after += b }
                if let g = w.gz { report.gzip.files += 1; report.gzip.before += e.bytes.count; report.gzip.after += g }
                manifest[String(e.path.dropFirst())] = Manifest.Asset(
                    path: String(e.outputPath.dropFirst()), size: e.bytes.count, sha256: w.sha256,
                    encodings: [w.br.map { _ in "br" }, w.gz.map { _ in "gzip" }].compactMap { $0 })
            }
        }
        let built = Manifest(assets: manifest, settings: options.outputSettings)
        report.buildID = built.buildID
        do {
            try Data(built.encoded()).write(to: URL(fileURLWithPath: staging + "/asset-manifest.json"))
        } catch {
            report.problems.append(BuildProblem("/asset-manifest.json", "cannot be written: \(error)", severity: .error))
        }
        if report.failed {
            try? FileManager.default.removeItem(atPath: staging)
        } else if let problem = Self.swap(staging, into: destination) {
            report.problems.append(BuildProblem(destination, problem, severity: .error))
            try? FileManager.default.removeItem(atPath: staging)
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    // MARK: - steps

    /// Relative paths of the regular files under `root`, sorted, skipping dot-files (but not
    /// `.well-known/`) and following no symlink out of the tree.
    static func files(under root: String, report: inout Report, directories: inout Set<String>) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            report.problems.append(BuildProblem(root, "cannot be read as a directory", severity: .error))
            return []
        }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            let type = walker.fileAttributes?[.type] as? FileAttributeType
            if name.hasPrefix("."), name != ".well-known" {
                if type == .typeDirectory { walker.skipDescendants() }
                continue
            }
            if type == .typeDirectory { directories.insert("/" + relative); continue }
            if type == .typeRegular { out.append(relative) }
        }
        return out.sorted()
    }

    /// `target` as a path from the root, resolved against the file at `from`; nil when `..`
    /// climbs out of the root.
    static func resolve(_ target: String, from: String) -> String? {
        let decoded = target.removingPercentEncoding ?? target
        var parts: [Substring] = decoded.hasPrefix("/") ? [] : from.split(separator: "/").dropLast()
        for p in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(p)
            }
        }
        return "/" + parts.joined(separator: "/") + (decoded.hasSuffix("/") && !parts.isEmpty ? "/" : "")
    }

    /// `entry`'s bytes with each reference whose target passes `only` pointing at the target's
    /// output name: only the file name part of the reference changes, so relative references
    /// stay relative.
    static func rewrite(_ entry: Entry, _ entries: [String: Entry], only: (String) -> Bool) -> [UInt8] {
        guard !entry.references.isEmpty else { return entry.bytes }
        var out: [UInt8] = []
        var at = 0
        // References were found in the original bytes; rewriting keeps their positions valid
        // only when done from the original text once per pass, so work on a fresh copy of it.
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
        guard !done.isEmpty else { return entry.bytes }
        for (range, text) in done {
            out.append(contentsOf: entry.bytes[at..<range.lowerBound])
            out.append(contentsOf: Array(text.utf8))
            at = range.upperBound
        }
        out.append(contentsOf: entry.bytes[at...])
        // The next pass over this file sees the new text: find its references again.
        if let kind = References.kind(of: entry.path) { entry.references = References.find(in: out, kind: kind) }
        return out
    }

    /// `name.HASH.ext` with 8+ hex digits of the digest (extended until one is a digit, which
    /// the cache policy requires to recognise a fingerprint).
    static func fingerprintedName(_ path: String, digest: [UInt8]) -> String {
        let hex = digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        var length = 8
        while length < hex.count, !hex.prefix(length).contains(where: \.isNumber) { length += 1 }
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let dot = name.lastIndex(of: ".")
        let stem = dot.map { String(name[..<$0]) } ?? name
        let ext = dot.map { String(name[$0...]) } ?? ""
        return (directory == "/" ? "" : directory) + "/" + stem + "." + hex.prefix(length) + ext
    }

    /// Tarjan's strongly connected components over the fingerprinting dependencies, each
    /// component after those it depends on; members in path order.
    static func stronglyConnected(_ entries: [String: Entry]) -> [[String]] {
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

    struct Written {
        let sha256: String
        let br: Int?
        let gz: Int?
        var compressed = 0
        var cached = 0
        var reused = false
    }

    enum Outcome {
        case success(Written)
        case failure(String)
    }

    /// Writes every output (and its `.br`/`.gz` when they pay) on `options.jobs` threads.
    static func writeAll(_ outputs: [Entry], into staging: String, previous: String?, options: BuildOptions) -> [Outcome] {
        // Directories once, up front, not a create-with-intermediates per file.
        for directory in Set(outputs.map { (staging + $0.outputPath as NSString).deletingLastPathComponent }).sorted() {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try? FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let results = ResultBox(count: outputs.count)
        let next = IndexCounter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.jobs, outputs.count))) { _ in
            while let i = next.take(below: outputs.count) {
                results.set(i, write(outputs[i], into: staging, previous: previous, options: options))
            }
        }
        return results.values
    }

    static func write(_ e: Entry, into staging: String, previous: String?, options: BuildOptions) -> Outcome {
        let path = staging + e.outputPath
        do {
            if let previous, let reused = reuse(e, from: previous + e.outputPath, at: path) { return .success(reused) }
            try Data(e.bytes).write(to: URL(fileURLWithPath: path))
            var br: Int?, gz: Int?
            var compressed = 0, cached = 0
            let hex = (e.digest ?? Array(SHA256.hash(data: e.bytes))).hex
            let type = MediaType.contentType(forPath: e.outputPath)
            if MediaType.isCompressible(contentType: type), e.bytes.count >= options.compressMinBytes {
                let limit = Double(e.bytes.count) * options.compressMinRatio
                let cache = CompressionCache(directory: options.cacheDirectory)
                for codec in [CompressionCache.Codec.br, .gz] {
                    let r = try cache.compressed(e.bytes, digest: hex, codec: codec, limit: limit)
                    if r.cached { cached += 1 } else { compressed += 1 }
                    guard let c = r.bytes else { continue }
                    try Data(c).write(to: URL(fileURLWithPath: path + (codec == .br ? ".br" : ".gz")))
                    if codec == .br { br = c.count } else { gz = c.count }
                }
            }
            return .success(Written(sha256: hex, br: br, gz: gz, compressed: compressed, cached: cached))
        } catch {
            return .failure("cannot be written: \(error)")
        }
    }

    /// The previous build's file, hard-linked instead of written when its bytes are this build's
    /// (a fingerprinted name is its content; anything else is compared), with its `.br`/`.gz`:
    /// an unchanged rebuild creates no new file data, and removing the old tree frees none.
    static func reuse(_ e: Entry, from old: String, at path: String) -> Written? {
        guard fileSize(old) == e.bytes.count else { return nil }
        if !e.fingerprinted || e.outputPath == e.path {
            guard let data = FileManager.default.contents(atPath: old), data.elementsEqual(e.bytes) else { return nil }
        }
        guard link(old, path) == 0 else { return nil }
        var sizes: [Int?] = []
        for suffix in [".br", ".gz"] {
            let sibling = old + suffix
            if let n = fileSize(sibling), link(sibling, path + suffix) == 0 {
                sizes.append(n)
            } else {
                sizes.append(nil)
            }
        }
        return Written(sha256: (e.digest ?? Array(SHA256.hash(data: e.bytes))).hex, br: sizes[0], gz: sizes[1], reused: true)
    }

    /// The size of a regular file, or nil (one `stat`, not Foundation's attribute dictionary).
    static func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    /// Puts `staging` at `destination`: the old tree is moved aside, the new one renamed into
    /// place, the old one removed. A reader sees the old tree or the new one, never a mix (for a
    /// moment, between the two renames, no tree at all).
    static func swap(_ staging: String, into destination: String) -> String? {
        if !FileManager.default.fileExists(atPath: destination) {
            return rename(staging, destination) == 0 ? nil : "cannot move the build into place: errno \(errno)"
        }
        let old = staging + ".old"
        guard rename(destination, old) == 0 else { return "cannot move the old \(destination) aside: errno \(errno)" }
        guard rename(staging, destination) == 0 else {
            _ = rename(old, destination)
            return "cannot move the build into place: errno \(errno)"
        }
        try? FileManager.default.removeItem(atPath: old)
        return nil
    }
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
    private var storage: [Builder.Outcome?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: Builder.Outcome) { lock.lock(); storage[i] = v; lock.unlock() }
    var values: [Builder.Outcome] { storage.map { $0 ?? .failure("not written") } }
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
