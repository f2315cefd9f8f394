import Foundation
import Logging
import NIOCore
@testable import WharfServer

/// A real `WharfServer` on ephemeral loopback ports over a temporary document root.
final class TestServer: @unchecked Sendable {
    let root: URL
    let server: WharfServer
    var port: Int { server.localAddress!.port! }
    var adminPort: Int { server.adminAddress!.port! }
    var base: String { "http://127.0.0.1:\(port)" }

    /// Creates the root with `files` (relative path → bytes) and starts the server.
    init(files: [String: [UInt8]], tls: (cert: String, key: String)? = nil,
         configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for (path, bytes) in files { try Self.write(bytes, to: root.appendingPathComponent(path)) }
        var config = ServerConfiguration()
        config.root = root.path
        config.listen = .init(host: "127.0.0.1", port: 0)
        config.adminListen = .init(host: "127.0.0.1", port: 0)
        config.eventLoopThreads = 2
        config.accessLog = "off"
        config.cache.revalidateInterval = 0.1
        config.tlsCertificatePath = tls?.cert
        config.tlsKeyPath = tls?.key
        configure(&config)
        var logger = Logger(label: "wharf-test")
        logger.logLevel = .error
        server = try WharfServer(config: config, logger: logger)
        try await server.start()
    }

    /// Writes atomically (temp file + rename), as a deploy would.
    static func write(_ bytes: [UInt8], to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url, options: .atomic)
    }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        try Self.write(bytes, to: root.appendingPathComponent(path))
    }

    func stop() async {
        await server.shutdown()
        try? FileManager.default.removeItem(at: root)
    }
}

/// Runs a command and returns its standard output (stderr goes to the test log).
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, data)
}

/// When a launched process ended, taken by Foundation when it reaps the child. A test's own
/// polling loop runs on the cooperative pool, which blocking calls in parallel tests can hold for
/// seconds: its clock says when the test noticed the exit, not when it happened.
final class ExitTimer: @unchecked Sendable {
    private let lock = NSLock()
    private var end: ContinuousClock.Instant?

    /// Set while `process` is still running (a handler set after it ended would never run).
    init(_ process: Process) {
        process.terminationHandler = { [self] _ in lock.withLock { end = .now } }
    }

    /// The time from `start` to the exit, or nil while the process runs.
    func elapsed(since start: ContinuousClock.Instant) -> Duration? {
        lock.withLock { end.map { $0 - start } }
    }
}

/// A self-signed certificate for 127.0.0.1/localhost made with openssl at test time.
func makeTestCertificate() throws -> (cert: String, key: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cert = dir.appendingPathComponent("cert.pem").path
    let key = dir.appendingPathComponent("key.pem").path
    let r = try run("/usr/bin/openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ])
    guard r.status == 0 else { throw TestFailure("openssl failed to make a test certificate") }
    return (cert, key)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
