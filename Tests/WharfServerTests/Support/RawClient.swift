import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client for what HTTP libraries refuse to send: raw traversal paths,
/// pipelined requests, half-sent heads. Loopback only.
final class RawClient {
    let fd: Int32

    /// - Parameter from: a loopback source address (127.x.y.z) to connect from, to play another client.
    /// The socket is set up in a local and stored only once connected: a class initializer that
    /// throws after its properties are set runs `deinit`, which would close the descriptor a
    /// second time — by then possibly a socket another test (or server) in this process has just
    /// been given (that crashed a server's accept with EBADF).
    init(port: Int, receiveBuffer: Int32? = nil, from: String? = nil) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed: \(String(cString: strerror(errno)))") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let from {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(from)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                let problem = String(cString: strerror(errno))
                close(fd)
                throw TestFailure("bind to \(from) failed: \(problem)")
            }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let problem = String(cString: strerror(errno))
            close(fd)
            throw TestFailure("connect failed: \(problem)")
        }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Reads until the peer closes (or the 10 s receive timeout), up to `limit` bytes.
    func readAll(limit: Int = 64 << 20) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    /// Reads exactly `count` bytes (or less at EOF/timeout).
    func read(count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count < count {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, count - out.count), 0) }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    /// Reads one response: head, then Content-Length bytes of body (none for HEAD/304/204).
    func readResponse(bodyless: Bool = false) -> (head: String, body: [UInt8])? {
        var head: [UInt8] = []
        var b: UInt8 = 0
        while true {
            let n = recv(fd, &b, 1, 0)
            if n <= 0 { return nil }
            head.append(b)
            if head.count >= 4 && head.suffix(4) == [13, 10, 13, 10] { break }
        }
        let text = String(decoding: head, as: UTF8.self)
        let status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var length = 0
        for line in text.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        if bodyless || status == 304 || status == 204 { length = 0 }
        return (text, read(count: length))
    }
}

extension String {
    /// A header's value from a raw response head.
    func header(_ name: String) -> String? {
        for line in split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
    var statusCode: Int { split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0 }
}
