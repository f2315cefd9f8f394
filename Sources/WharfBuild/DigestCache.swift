import Crypto
import Foundation

/// What a previous build learnt about each source file, keyed by its `stat`: the SHA-256 of its
/// bytes and whether it references anything. While a file's device, inode, size, mtime and ctime
/// are unchanged it is neither read nor hashed again — the part of an unchanged rebuild that
/// would otherwise read the whole tree. Like git's index, an entry whose ctime is too close to the
/// moment the cache was written is not kept: file times advance in coarse clock ticks, so a
/// rewrite within the same tick would leave the `stat` unchanged. (ctime, unlike mtime, cannot be
/// set back by `touch -d`.)
struct DigestCache: Sendable {
    /// A source file's `stat`, as far as it decides whether the file changed.
    struct Stamp: Hashable, Sendable {
        let device: UInt64
        let inode: UInt64
        let size: Int
        let mtime: Int64
        let ctime: Int64

        static func of(_ path: String) -> Stamp? {
            var st = stat()
            guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
            return Stamp(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int(st.st_size),
                         mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                         ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
        }
    }

    struct Record: Sendable {
        let stamp: Stamp
        let digest: [UInt8]
        let hasReferences: Bool
    }

    /// The file the cache of one source tree lives in, or nil without a build cache.
    let file: String?
    private(set) var records: [String: Record] = [:]

    /// The cache of the tree at `source` (by its real path, so two sites can share a cache dir).
    init(directory: String?, source: String) {
        guard let directory else { file = nil; return }
        let absolute = URL(fileURLWithPath: source).resolvingSymlinksInPath().path
        file = directory + "/digests/" + SHA256.hash(data: Array(absolute.utf8)).prefix(8).hex + ".tsv"
    }

    /// The record of `path` when its stamp still matches.
    func lookup(_ path: String, _ stamp: Stamp) -> Record? {
        guard let r = records[path], r.stamp == stamp else { return nil }
        return r
    }

    mutating func set(_ path: String, _ record: Record) { records[path] = record }

    /// Reads the cache; a missing or damaged file is an empty cache.
    mutating func load() {
        guard let file, let data = FileManager.default.contents(atPath: file) else { return }
        let bytes = [UInt8](data)
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 7, omittingEmptySubsequences: false)
            guard fields.count == 8, let device = UInt64(fields[0]), let inode = UInt64(fields[1]), let size = Int(fields[2]),
                  let mtime = Int64(fields[3]), let ctime = Int64(fields[4]), fields[5].utf8.count == 64,
                  let digest = Self.unhex(fields[5]) else { continue }
            records[String(fields[7])] = Record(stamp: Stamp(device: device, inode: inode, size: size, mtime: mtime, ctime: ctime),
                                                digest: digest, hasReferences: fields[6] == "1")
        }
    }

    /// Writes the cache (temp + rename), leaving out records whose file changed too recently to
    /// be told apart from a rewrite in the same clock tick.
    func save(keeping paths: some Sequence<String>) {
        guard let file else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let horizon = (Int64(now.tv_sec) - 1) * 1_000_000_000 + Int64(now.tv_nsec)
        var out = ""
        for path in paths {
            guard let r = records[path], r.stamp.ctime < horizon, !path.contains("\n") else { continue }
            let s = r.stamp
            out += "\(s.device)\t\(s.inode)\t\(s.size)\t\(s.mtime)\t\(s.ctime)\t\(r.digest.hex)\t\(r.hasReferences ? 1 : 0)\t\(path)\n"
        }
        let temporary = file + ".tmp-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(out.utf8).write(to: URL(fileURLWithPath: temporary))
            if rename(temporary, file) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }

    static func unhex(_ s: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var high: UInt8?
        for c in s.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}
