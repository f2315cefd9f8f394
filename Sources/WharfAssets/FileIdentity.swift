#if canImport(Glibc)
import Glibc
#endif

/// What `stat` says about a file: enough to notice that it changed or was replaced.
public struct FileIdentity: Equatable, Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int
    public var mtimeNanos: Int64
    public var ctimeNanos: Int64
    public var isRegular: Bool
    public var isDirectory: Bool

    public init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int(st.st_size)
        mtimeNanos = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctimeNanos = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        isRegular = (st.st_mode & S_IFMT) == S_IFREG
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Last-Modified in whole seconds, as HTTP dates carry.
    public var mtimeSeconds: Int64 { mtimeNanos >= 0 ? mtimeNanos / 1_000_000_000 : (mtimeNanos - 999_999_999) / 1_000_000_000 }

    /// `stat` of a path, following symlinks.
    public static func of(_ path: String) -> FileIdentity? {
        var st = stat()
        guard path.withCString({ stat($0, &st) }) == 0 else { return nil }
        return FileIdentity(st)
    }
}
