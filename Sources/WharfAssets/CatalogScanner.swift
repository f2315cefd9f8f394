#if canImport(Glibc)
import Glibc
#endif
import Logging
import WharfCompression
import WharfHTTP

/// Walks the document root and builds catalog snapshots. It remembers what it hashed, so a
/// re-scan only reads files whose `stat` changed. Not thread-safe: one scanner per catalog,
/// driven from one thread.
public final class CatalogScanner {
    public let options: CatalogOptions
    let logger: Logger
    private var generation = 0
    /// What the last scan produced per real file path, reused while `stat` is unchanged.
    private var variantCache: [String: AssetVariant] = [:]
    private var last: CatalogSnapshot?
    /// Whether a sibling decompresses to its source, remembered per (sibling, source) version.
    private var siblingVerdicts: [String: SiblingVerdict] = [:]
    /// The root's `asset-manifest.json`, when `wharf build` wrote one.
    private var manifest: BuildManifest?

    struct SiblingVerdict {
        let sibling: EntityTag
        let source: EntityTag
        let matches: Bool
    }

    public init(options: CatalogOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// A file found by the walk.
    struct FoundFile {
        let urlPath: String
        let realPath: String
        let identity: FileIdentity
    }

    /// Scans the root. Returns a new snapshot when anything changed since the last call, else nil.
    /// Files whose URL path `rehash` accepts (and their `.br`/`.gz` siblings) are read and hashed
    /// again even when their `stat` is unchanged (a purge: an in-place rewrite within the same
    /// second and size would otherwise go unnoticed).
    public func scan(rehash: (String) -> Bool = { _ in false }) throws(AssetError) -> CatalogSnapshot? {
        guard let rootReal = Self.realPath(options.root) else {
            throw AssetError("document root \(options.root) does not exist or is unreadable")
        }
        guard FileIdentity.of(rootReal)?.isDirectory == true else {
            throw AssetError("document root \(options.root) is not a directory")
        }
        var files: [String: FoundFile] = [:]
        var directories: Set<String> = []
        var visited: Set<[UInt64]> = []
        walk(dir: rootReal, urlPrefix: "", rootReal: rootReal, files: &files, directories: &directories, visited: &visited)
        for (url, file) in files {
            let base = url.hasSuffix(".br") || url.hasSuffix(".gz") ? String(url.dropLast(3)) : url
            if rehash(url) || rehash(base) { variantCache[file.realPath] = nil }
        }
        if let m = files["/" + BuildManifest.fileName] {
            if manifest?.identity != m.identity { manifest = BuildManifest.load(path: m.realPath, identity: m.identity) }
        } else {
            manifest = nil
        }

        // A `name.br` / `name.gz` next to a compressible `name` is a variant of it, not a URL of its own.
        var siblings: [String: [ContentCoding: FoundFile]] = [:]
        for (url, file) in files {
            for coding in [ContentCoding.br, .gzip] where url.hasSuffix(coding.fileSuffix) {
                let base = String(url.dropLast(coding.fileSuffix.count))
                if let source = files[base], MediaType.isCompressible(contentType: Self.contentType(of: source.urlPath)) {
                    siblings[base, default: [:]][coding] = file
                }
            }
        }
        let siblingPaths = Set(siblings.values.flatMap { $0.values.map(\.urlPath) })

        var newCache: [String: AssetVariant] = [:]
        var newVerdicts: [String: SiblingVerdict] = [:]
        var memoryUsed = 0
        var assets: [String: Asset] = [:]
        // Sorted so that the memory budget goes to the same files on every replica.
        for url in files.keys.sorted() where !siblingPaths.contains(url) {
            let file = files[url]!
            guard let plain = variant(for: file, coding: .identity, memoryUsed: &memoryUsed, cache: &newCache) else { continue }
            let contentType = Self.contentType(of: url)
            let compressible = MediaType.isCompressible(contentType: contentType)
            var precompressed: [AssetVariant] = []
            for coding in [ContentCoding.br, .gzip] {
                guard let sib = siblings[url]?[coding],
                      let v = variant(for: sib, coding: coding, memoryUsed: &memoryUsed, cache: &newCache) else { continue }
                // Both as the build recorded them: the build wrote one from the other.
                let recorded = manifest?.hash(for: sib.urlPath, identity: sib.identity) != nil
                    && manifest?.hash(for: file.urlPath, identity: file.identity) != nil
                if recorded || verify(v, decodesTo: plain, verdicts: &newVerdicts) {
                    precompressed.append(v)
                }
            }
            assets[url] = Asset(urlPath: url, contentType: contentType, isCompressible: compressible,
                                identity: plain, precompressed: precompressed)
        }
        // Directory URLs with a trailing slash resolve to their index file.
        for dir in directories.union([""]) {
            if let index = assets[dir + "/" + options.indexFile] {
                assets[dir + "/"] = index
            }
        }
        variantCache = newCache
        siblingVerdicts = newVerdicts
        if let last, Self.same(last.assets, assets), last.directories == directories, last.buildID == manifest?.buildID {
            return nil
        }
        generation += 1
        let snapshot = CatalogSnapshot(generation: generation, assets: assets, directories: directories, buildID: manifest?.buildID)
        last = snapshot
        return snapshot
    }

    /// Builds (or reuses) the representation of one file: reads and hashes it, re-checking
    /// `stat` afterwards so that a file written during the read is never catalogued with a
    /// hash of bytes it no longer has.
    private func variant(for file: FoundFile, coding: ContentCoding, memoryUsed: inout Int,
                         cache: inout [String: AssetVariant]) -> AssetVariant? {
        let inMemory = file.identity.size <= options.memoryMaxFileBytes
            && memoryUsed + file.identity.size <= options.memoryBudgetBytes
        if let old = variantCache[file.realPath], old.fileIdentity == file.identity, old.coding == coding,
           old.isInMemory == inMemory {
            cache[file.realPath] = old
            if inMemory { memoryUsed += file.identity.size }
            return old
        }
        do {
            let handle = try OpenFile.open(file.realPath)
            let before = try handle.identity()
            let body: AssetBody
            let hash: String
            // A file as `wharf build` recorded it is not hashed again.
            let recorded = manifest?.hash(for: file.urlPath, identity: before)
            if inMemory {
                let bytes = try handle.readAll(size: before.size)
                hash = recorded ?? ContentHash.of(bytes)
                body = .memory(bytes)
            } else {
                hash = try recorded ?? ContentHash.of(handle, size: before.size)
                body = .file(handle)
            }
            let after = try handle.identity()
            guard after == before, before == file.identity else { throw AssetError.changed(file.realPath) }
            if inMemory { memoryUsed += before.size }
            let v = AssetVariant(coding: coding, hash: hash, length: before.size, body: body,
                                 fileIdentity: before, filePath: file.realPath)
            cache[file.realPath] = v
            return v
        } catch {
            logger.warning("cannot catalogue file", metadata: ["file": "\(file.realPath)", "error": "\(error)"])
            // Keep serving the previous, self-consistent version until the file settles.
            if let old = variantCache[file.realPath] {
                cache[file.realPath] = old
                return old
            }
            return nil
        }
    }

    /// A `.br` / `.gz` sibling is served only if it decodes to exactly the bytes of its source:
    /// a sibling left over from an older build would otherwise be served under a strong ETag
    /// for content the site no longer has. (Timestamps cannot decide this: a git checkout gives
    /// files arbitrary mtimes.) Decoding is bounded by the source's size.
    private func verify(_ sibling: AssetVariant, decodesTo source: AssetVariant, verdicts: inout [String: SiblingVerdict]) -> Bool {
        if let old = siblingVerdicts[sibling.filePath], old.sibling == sibling.etag, old.source == source.etag {
            verdicts[sibling.filePath] = old
            return old.matches
        }
        var matches = false
        do {
            let packed: [UInt8]
            switch sibling.body {
            case .memory(let bytes): packed = bytes
            case .file(let f): packed = try f.readAll(size: sibling.length)
            }
            let plain: [UInt8]
            switch sibling.coding {
            case .br: plain = try Brotli.decompress(packed, limit: source.length)
            case .gzip: plain = try Gzip.decompress(packed, limit: source.length)
            case .identity: plain = packed
            }
            matches = plain.count == source.length && ContentHash.of(plain) + source.coding.etagSuffix == source.etag.opaqueTag
        } catch {
            matches = false
        }
        if !matches {
            logger.warning("ignoring precompressed sibling that does not decode to its source",
                           metadata: ["file": "\(sibling.filePath)"])
        }
        verdicts[sibling.filePath] = SiblingVerdict(sibling: sibling.etag, source: source.etag, matches: matches)
        return matches
    }

    /// Recursive walk. Dotfiles are skipped (except `/.well-known`), symlinks are followed only
    /// when their target stays inside the root, and directory cycles are cut.
    private func walk(dir: String, urlPrefix: String, rootReal: String, files: inout [String: FoundFile],
                      directories: inout Set<String>, visited: inout Set<[UInt64]>) {
        guard let dirIdentity = FileIdentity.of(dir), visited.insert([dirIdentity.device, dirIdentity.inode]).inserted else {
            return
        }
        guard let handle = opendir(dir) else {
            logger.warning("cannot read directory", metadata: ["dir": "\(dir)"])
            return
        }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String? in
                let bytes = raw.prefix(while: { $0 != 0 })
                return String(validating: bytes, as: UTF8.self)
            }
            guard let name, name != ".", name != ".." else { continue }
            if name.hasPrefix(".") && !(urlPrefix.isEmpty && name == ".well-known") { continue }
            let path = dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            var target = path
            if (st.st_mode & S_IFMT) == S_IFLNK {
                guard let resolved = Self.realPath(path), resolved == rootReal || resolved.hasBytePrefix(rootReal + "/") else {
                    logger.warning("ignoring symlink that leaves the root", metadata: ["path": "\(path)"])
                    continue
                }
                target = resolved
                guard stat(target, &st) == 0 else { continue }
            }
            let url = urlPrefix + "/" + name
            let identity = FileIdentity(st)
            if identity.isDirectory {
                directories.insert(url)
                walk(dir: target, urlPrefix: url, rootReal: rootReal, files: &files, directories: &directories, visited: &visited)
            } else if identity.isRegular {
                files[url] = FoundFile(urlPath: url, realPath: target, identity: identity)
            }
        }
    }

    static func contentType(of urlPath: String) -> String {
        let name = urlPath.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return MediaType.contentType(forExtension: "")
        }
        return MediaType.contentType(forExtension: name[name.index(after: dot)...].lowercased())
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func same(_ a: [String: Asset], _ b: [String: Asset]) -> Bool {
        guard a.count == b.count else { return false }
        for (k, x) in a {
            guard let y = b[k], x.identity.etag == y.identity.etag, x.identity.fileIdentity == y.identity.fileIdentity,
                  x.precompressed.map(\.etag) == y.precompressed.map(\.etag) else { return false }
        }
        return true
    }
}

extension AssetVariant {
    var isInMemory: Bool {
        if case .memory = body { return true }
        return false
    }
}
