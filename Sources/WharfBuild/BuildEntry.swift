import Foundation

/// One file of the source tree, by its path from the root (`/css/app.css`). Mutated by the
/// sequential steps; each parallel step touches only its own entries.
final class BuildEntry: @unchecked Sendable {
    let path: String
    /// Where the file is on disk.
    let sourcePath: String
    let stamp: DigestCache.Stamp
    let fingerprinted: Bool
    /// The bytes, held only for files whose references are scanned and rewritten (HTML, CSS,
    /// JavaScript that references something); every other file is read by the write step, one
    /// per job, so the build's memory does not grow with the tree.
    var bytes: [UInt8]?
    /// SHA-256 of the source bytes.
    var sourceDigest: [UInt8]?
    /// SHA-256 of the output bytes, once known.
    var digest: [UInt8]?
    var outputPath: String
    var references: [References.Reference] = []
    /// Lines of unterminated `url(` / `@import` found by the scan (reported, left as they are).
    var brokenLines: [Int] = []
    /// Fingerprinted files this one references (paths), for the dependency order.
    var dependencies: [String] = []
    /// Whether the output bytes differ from the source's.
    var rewritten = false
    var problem: String?

    init(path: String, sourcePath: String, stamp: DigestCache.Stamp, fingerprinted: Bool) {
        self.path = path
        self.sourcePath = sourcePath
        self.stamp = stamp
        self.fingerprinted = fingerprinted
        outputPath = path
    }

    /// Size of the output.
    var size: Int { bytes?.count ?? stamp.size }

    /// The output bytes: the held ones, or the source file read now.
    func load() throws -> [UInt8] {
        if let bytes { return bytes }
        guard let data = FileManager.default.contents(atPath: sourcePath) else {
            throw BuildError("cannot be read: \(String(cString: strerror(errno)))")
        }
        guard data.count == stamp.size else { throw BuildError("changed while the build was reading it") }
        return [UInt8](data)
    }
}

/// A failure of one file, with the reason the report gives.
struct BuildError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
