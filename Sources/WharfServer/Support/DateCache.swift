#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import WharfHTTP

/// The `Date` header and the most common status-line prefixes, rebuilt at most once a second
/// per thread, so hot responses never format a date.
final class DateCache {
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<DateCache>()

    /// The cache of the calling (event-loop) thread.
    static var current: DateCache {
        if let c = perThread.currentValue { return c }
        let c = DateCache()
        perThread.currentValue = c
        return c
    }

    private var second: Int = -1
    private(set) var dateValue = ""
    private var _prefix200 = ByteBuffer()
    private var _prefix304 = ByteBuffer()
    /// Whole 200 responses (status line, Date, headers, body) of small hot variants, valid for the
    /// current second. The entry keeps its variant alive, so an identifier is never reused for
    /// another variant while cached.
    private var whole: [ObjectIdentifier: (variant: PreparedVariant, bytes: ByteBuffer)] = [:]
    static let wholeMaxBytes = 16 * 1024
    static let wholeMaxEntries = 1024

    private func refresh() {
        let now = time(nil)
        if now == second { return }
        second = now
        whole.removeAll(keepingCapacity: true)
        dateValue = HTTPDate.format(Int64(now))
        _prefix200 = Self.prefix("HTTP/1.1 200 OK", dateValue)
        _prefix304 = Self.prefix("HTTP/1.1 304 Not Modified", dateValue)
    }

    private static func prefix(_ statusLine: String, _ date: String) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeString(statusLine)
        b.writeString("\r\nDate: ")
        b.writeString(date)
        b.writeString("\r\n")
        return b
    }

    /// Status line plus `Date` line for the statuses with prebuilt header blocks; nil for others.
    func prefix(for code: UInt) -> ByteBuffer? {
        refresh()
        switch code {
        case 200: return _prefix200
        case 304: return _prefix304
        default: return nil
        }
    }

    /// The 200 status line and `Date` line.
    var prefix200: ByteBuffer {
        refresh()
        return _prefix200
    }

    /// One buffer holding the whole 200 response of a small in-memory variant (for a variant sent
    /// from a file: its whole head), built at most once per second per thread; nil for large
    /// variants (for them, two writes cost nothing extra).
    func whole200(_ v: PreparedVariant) -> ByteBuffer? {
        refresh()
        let id = ObjectIdentifier(v)
        if let hit = whole[id] { return hit.bytes }
        guard v.http1Full200.readableBytes <= Self.wholeMaxBytes, whole.count < Self.wholeMaxEntries else { return nil }
        var b = ByteBuffer()
        b.reserveCapacity(_prefix200.readableBytes + v.http1Full200.readableBytes)
        b.writeImmutableBuffer(_prefix200)
        b.writeImmutableBuffer(v.http1Full200)
        whole[id] = (v, b)
        return b
    }

    var date: String {
        refresh()
        return dateValue
    }
}
