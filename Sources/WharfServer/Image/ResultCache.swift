import Crypto
import Dispatch
import Foundation
import Synchronization

/// Transformed variants on disk, content-addressed: the file name is a hash of the source's
/// content hash, the canonical parameters, the negotiated format and the pipeline version, so
/// a changed source or pipeline simply yields new names (old ones age out), and replicas may
/// share the directory. Files are written as a temp file + fsync + rename, never in place;
/// the directory is bounded in bytes, least recently used out first, and the recency is kept
/// in the files' mtimes so that it survives restarts.
///
/// Blocking (file I/O): call from the image pool only.
final class ResultCache: Sendable {
    private struct Entry {
        var size: Int
        var lastUse: Double
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
    }

    let directory: URL
    let maxBytes: Int
    private let state = Mutex(State())
    /// Writes happen behind responses on this serial queue; bytes waiting in it are bounded.
    private let writer = DispatchQueue(label: "wharf-image-cache-writer", qos: .utility)
    /// Entries waiting for the writer, readable meanwhile, and their total size.
    private let queued = Mutex<(entries: [String: [UInt8]], bytes: Int)>(([:], 0))
    static let maxQueuedBytes = 64 << 20
    /// Told of each write that failed (a full or read-only disk), with the reason; the response
    /// was already sent from memory, so a failed write only means the entry is not kept.
    private let writeFailed: @Sendable (String) -> Void

    /// Opens (creating) the directory, removes temp files a crash left behind, and indexes what is there.
    init(directory: String, maxBytes: Int, writeFailed: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.maxBytes = maxBytes
        self.writeFailed = writeFailed
        let fm = FileManager.default
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        // Temp files a crash left behind; recent ones may be another replica's writes in progress.
        let stale = Date().addingTimeInterval(-600)
        for name in (try? fm.contentsOfDirectory(atPath: tmp.path)) ?? [] {
            let url = tmp.appendingPathComponent(name)
            let modified = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? nil
            if let modified, modified < stale { try? fm.removeItem(at: url) }
        }
        var index = State()
        for shard in (try? fm.contentsOfDirectory(atPath: self.directory.path)) ?? [] where shard.count == 2 {
            let dir = self.directory.appendingPathComponent(shard)
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] {
                let path = dir.appendingPathComponent(name).path
                var st = stat()
                guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
                index.entries[name] = Entry(size: Int(st.st_size), lastUse: Double(st.st_mtim.tv_sec))
                index.bytes += Int(st.st_size)
            }
        }
        state.withLock { $0 = index }
        evictIfNeeded()
    }

    private var tmp: URL { directory.appendingPathComponent("tmp", isDirectory: true) }

    /// The file name for a key: 64 hex digits of SHA-256 and the format's extension.
    static func name(sourceHash: String, canonical: String, version: Int, fileExtension: String) -> String {
        let digest = SHA256.hash(data: Array("\(version)\n\(sourceHash)\n\(canonical)".utf8))
        let hex = Array("0123456789abcdef".utf8)
        var name: [UInt8] = []
        name.reserveCapacity(64)
        for b in digest { name += [hex[Int(b >> 4)], hex[Int(b & 0xf)]] }
        return String(decoding: name, as: UTF8.self) + "." + fileExtension
    }

    private func url(_ name: String) -> URL {
        directory.appendingPathComponent(String(name.prefix(2))).appendingPathComponent(name)
    }

    var count: Int { state.withLock { $0.entries.count } }
    var bytes: Int { state.withLock { $0.bytes } }

    /// The cached bytes, or nil. A hit refreshes the entry's recency (in memory and its mtime).
    func read(_ name: String) -> [UInt8]? {
        if let waiting = queued.withLock({ $0.entries[name] }) { return waiting }
        // Not in this process's index: another replica sharing the directory may have written it.
        let path = url(name).path
        guard let data = FileManager.default.contents(atPath: path) else {
            forget(name)
            return nil
        }
        let now = Date().timeIntervalSince1970
        state.withLock { s in
            if s.entries[name] == nil {
                s.entries[name] = Entry(size: data.count, lastUse: now)
                s.bytes += data.count
            }
            s.entries[name]?.lastUse = now
        }
        _ = utimes(path, nil)
        return [UInt8](data)
    }

    /// Queues a ``write(_:_:)`` on the writer thread. When more than 64 MiB wait already, the
    /// entry is not stored (the cache is an optimisation; the response never waits for it).
    func writeLater(_ name: String, _ bytes: [UInt8]) {
        let accepted = queued.withLock { q -> Bool in
            guard q.entries[name] == nil, q.bytes + bytes.count <= Self.maxQueuedBytes else { return false }
            q.entries[name] = bytes
            q.bytes += bytes.count
            return true
        }
        guard accepted else { return }
        writer.async { [self] in
            write(name, bytes)
            queued.withLock { q in
                q.entries[name] = nil
                q.bytes -= bytes.count
            }
        }
    }

    /// Waits until every queued write is on disk (shutdown, tests).
    func flush() {
        writer.sync {}
    }

    /// Stores `bytes` under `name` (temp file, fsync, rename), then evicts down to the bound.
    func write(_ name: String, _ bytes: [UInt8]) {
        guard bytes.count <= maxBytes / 4 else { return } // one entry must not flush the cache
        let final = url(name)
        let temp = tmp.appendingPathComponent(UUID().uuidString + ".tmp")
        // Any failure (ENOSPC, EDQUOT, EROFS, EIO) leaves no file behind, neither temp nor final.
        func fail(_ what: String) {
            let reason = "\(what): \(String(cString: strerror(errno)))"
            unlink(temp.path)
            writeFailed(reason)
        }
        do {
            try FileManager.default.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            unlink(temp.path)
            writeFailed("mkdir: \(error)")
            return
        }
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return fail("open") }
        let written = bytes.withUnsafeBytes { buf -> Bool in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { return false }
                off += n
            }
            return true
        }
        guard written else {
            close(fd)
            return fail("write")
        }
        guard fsync(fd) == 0 else {
            close(fd)
            return fail("fsync")
        }
        close(fd)
        guard rename(temp.path, final.path) == 0 else { return fail("rename") }
        let now = Date().timeIntervalSince1970
        state.withLock { s in
            if let old = s.entries[name] { s.bytes -= old.size }
            s.entries[name] = Entry(size: bytes.count, lastUse: now)
            s.bytes += bytes.count
        }
        evictIfNeeded()
    }

    /// Deletes one entry (a purge of its source).
    func remove(_ name: String) {
        forget(name)
        unlink(url(name).path)
    }

    private func forget(_ name: String) {
        state.withLock { s in
            if let old = s.entries.removeValue(forKey: name) { s.bytes -= old.size }
        }
    }

    /// Down to 90 % of the bound, oldest first.
    private func evictIfNeeded() {
        let victims: [String] = state.withLock { s in
            guard s.bytes > maxBytes else { return [] }
            var out: [String] = []
            for (name, e) in s.entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
                guard s.bytes > maxBytes / 10 * 9 else { break }
                s.entries[name] = nil
                s.bytes -= e.size
                out.append(name)
            }
            return out
        }
        for name in victims { unlink(url(name).path) }
    }
}
