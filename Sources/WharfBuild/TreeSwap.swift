import CWharfSys
import Foundation

/// Puts a finished build in place of DIST. With an existing DIST the two directories are
/// exchanged in one `renameat2(RENAME_EXCHANGE)`: a server reading DIST sees the old tree or the
/// new one, never neither and never a mix. Where the file system cannot exchange (EINVAL, ENOSYS),
/// two renames are the fallback, with a moment in between where DIST does not exist.
enum TreeSwap {
    /// Moves `staging` to `destination`; nil on success, else why not. The old tree is removed.
    static func swap(_ staging: String, into destination: String, jobs: Int = 1) -> String? {
        if !FileManager.default.fileExists(atPath: destination) {
            return rename(staging, destination) == 0 ? nil : "cannot move the build into place: \(String(cString: strerror(errno)))"
        }
        if wharf_rename_exchange(staging, destination) == 0 {
            // `staging` now holds the old tree.
            remove(staging, jobs: jobs)
            return nil
        }
        guard errno == EINVAL || errno == ENOSYS else {
            return "cannot exchange the build with \(destination): \(String(cString: strerror(errno)))"
        }
        let old = staging + ".old"
        guard rename(destination, old) == 0 else { return "cannot move the old \(destination) aside: \(String(cString: strerror(errno)))" }
        guard rename(staging, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(old, destination)
            return "cannot move the build into place: \(reason)"
        }
        remove(old, jobs: jobs)
        return nil
    }

    /// Removes a tree, its top-level directories on `jobs` threads (unlinking tens of thousands
    /// of files is most of what replacing an unchanged DIST costs).
    static func remove(_ tree: String, jobs: Int) {
        let children = (try? FileManager.default.contentsOfDirectory(atPath: tree)) ?? []
        Builder.parallel(children.count, jobs: jobs) { i in try? FileManager.default.removeItem(atPath: tree + "/" + children[i]) }
        try? FileManager.default.removeItem(atPath: tree)
    }
}
