#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only file descriptor that stays open as long as a catalog entry (or an in-flight
/// response) references it. Because the descriptor is opened once when the file is hashed,
/// an atomic deploy (write elsewhere, then rename) never mixes new bytes with the old ETag:
/// this descriptor keeps reading the bytes that were hashed until the entry is replaced.
public final class OpenFile: Sendable {
    /// The raw descriptor; valid until this object is released. Use `pread`, never `read`,
    /// since responses on several threads share it.
    public let descriptor: CInt
    public let path: String

    init(descriptor: CInt, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Opens `path` read-only (no symlink follow for the final component is decided by the caller).
    public static func open(_ path: String) throws(AssetError) -> OpenFile {
        let fd = path.withCString { Glibc.open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw AssetError.system("open", path: path, errno: errno) }
        return OpenFile(descriptor: fd, path: path)
    }

    /// The identity of what the descriptor refers to now.
    public func identity() throws(AssetError) -> FileIdentity {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw AssetError.system("fstat", path: path, errno: errno) }
        return FileIdentity(st)
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the number read (0 at EOF).
    public func read(into buffer: UnsafeMutableRawBufferPointer, offset: Int) throws(AssetError) -> Int {
        while true {
            let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw AssetError.system("pread", path: path, errno: errno)
        }
    }

    /// Reads the whole file (of the given size) into memory.
    public func readAll(size: Int) throws(AssetError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let result = bytes.withUnsafeMutableBytes { buf in
                Result { () throws(AssetError) in
                    try read(into: UnsafeMutableRawBufferPointer(rebasing: buf[done...]), offset: done)
                }
            }
            let n = try result.get()
            if n == 0 { throw AssetError.changed(path) } // shrank while we read it
            done += n
        }
        return bytes
    }

    deinit {
        _ = Glibc.close(descriptor)
    }
}
