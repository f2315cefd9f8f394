#if canImport(Glibc)
import Glibc
#endif

/// A failure while cataloguing files. Scans log these and carry on with the other files.
public struct AssetError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }
    public var description: String { message }

    static func system(_ call: String, path: String, errno: CInt) -> AssetError {
        AssetError("\(call) \(path): \(String(cString: strerror(errno)))")
    }

    /// The file changed while it was being read; it is retried on the next scan.
    static func changed(_ path: String) -> AssetError {
        AssetError("\(path) changed while being read; will retry")
    }
}
