#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random access to an MP4's bytes.
public protocol MediaSource: Sendable {
    var size: UInt64 { get }
    /// Exactly `count` bytes at `offset`, or an error.
    func read(at offset: UInt64, count: Int) throws(MediaError) -> [UInt8]
}

/// A file read with `pread`, so concurrent segment requests share one descriptor.
public final class FileMediaSource: MediaSource, @unchecked Sendable {
    public let size: UInt64
    private let fd: Int32

    /// Opens `path`; the size is taken once, here.
    public init(path: String) throws(MediaError) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open \(path): errno \(errno)") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw .io("cannot stat \(path): errno \(errno)")
        }
        size = UInt64(st.st_size)
    }

    deinit { close(fd) }

    public func read(at offset: UInt64, count: Int) throws(MediaError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw .malformed("\(count) bytes at offset \(offset) are past the end of the file (\(size) bytes)")
        }
        if count == 0 { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw .io("reading \(count) bytes at offset \(offset): \(n == 0 ? "file shrank" : "errno \(errno)")") }
            done += n
        }
        return buffer
    }
}

/// Bytes in memory (tests, and anything already read).
public struct BytesMediaSource: MediaSource {
    public let bytes: [UInt8]
    public var size: UInt64 { UInt64(bytes.count) }

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(at offset: UInt64, count: Int) throws(MediaError) -> [UInt8] {
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw .malformed("\(count) bytes at offset \(offset) are past the end of the file (\(size) bytes)")
        }
        return Array(bytes[Int(offset)..<Int(offset) + count])
    }
}
