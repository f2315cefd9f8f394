import Foundation

/// One build at a time per DIST: an exclusive `flock` on `.<DIST>.lock` beside it. Under the lock
/// the staging directories a killed build left (`.<DIST>.building-…`) are removed — no running
/// build owns them. The kernel drops the lock when the process dies, so a `kill -9` never leaves
/// DIST locked.
final class BuildLock {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// The lock for `destination`, or nil when another build holds it.
    static func acquire(_ destination: String) throws -> BuildLock? {
        let (parent, name) = split(destination)
        let fd = open(parent + "/." + name + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BuildError("cannot create \(parent)/.\(name).lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return BuildLock(fd: fd)
    }

    /// Removes what killed builds left beside `destination`; the names of what was removed.
    @discardableResult
    static func removeStaging(beside destination: String) -> [String] {
        let (parent, name) = split(destination)
        let prefix = "." + name + ".building-"
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter { $0.hasBytePrefix(prefix) }
        for entry in leftovers { try? FileManager.default.removeItem(atPath: parent + "/" + entry) }
        return leftovers
    }

    func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }

    private static func split(_ destination: String) -> (parent: String, name: String) {
        let parent = (destination as NSString).deletingLastPathComponent
        return (parent.isEmpty ? "." : parent, (destination as NSString).lastPathComponent)
    }
}
