import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WharfServer

/// `wharf serve`: flags override `WHARF_*` variables, which override `wharf.toml`, which
/// overrides the built-in defaults.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a directory as a CDN origin.",
        discussion: """
            Configuration comes from --config (default: ./wharf.toml when it exists), then WHARF_* \
            environment variables (e.g. WHARF_LIMITS_MAX_CONNECTIONS), then these flags.
            Known keys: \(ConfigLoader.knownKeys.joined(separator: ", ")).
            """
    )

    @Option(help: "Document root (default: public).")
    var root: String?

    @Option(help: "Public listener, host:port (default: 127.0.0.1:8080).")
    var listen: String?

    @Option(name: .customLong("admin-listen"), help: "Admin listener for /healthz, /readyz, /metrics (default: 127.0.0.1:9080).")
    var adminListen: String?

    @Option(help: "Path of a wharf.toml file.")
    var config: String?

    @Option(name: .customLong("state-dir"), help: "Directory of the purge journal (default: ./.wharf).")
    var stateDir: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain; enables TLS with HTTP/2 via ALPN.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    func run() async throws {
        let configuration: ServerConfiguration
        do {
            var path = config
            if path == nil, FileManager.default.fileExists(atPath: "wharf.toml") { path = "wharf.toml" }
            var c = try ConfigLoader.load(configPath: path)
            if let root { try ConfigLoader.apply(flag: "--root", key: "root", value: root, to: &c) }
            if let listen { try ConfigLoader.apply(flag: "--listen", key: "listen", value: listen, to: &c) }
            if let adminListen { try ConfigLoader.apply(flag: "--admin-listen", key: "admin_listen", value: adminListen, to: &c) }
            if let stateDir { try ConfigLoader.apply(flag: "--state-dir", key: "purge.state_dir", value: stateDir, to: &c) }
            if let tlsCert { try ConfigLoader.apply(flag: "--tls-cert", key: "tls.cert", value: tlsCert, to: &c) }
            if let tlsKey { try ConfigLoader.apply(flag: "--tls-key", key: "tls.key", value: tlsKey, to: &c) }
            configuration = c
        } catch {
            throw ValidationError("\(error)")
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "wharf")
        for name in ConfigLoader.unknownEnvironmentNames(ProcessInfo.processInfo.environment) {
            logger.warning("ignoring environment variable that names no setting", metadata: ["variable": "\(name)"])
        }
        let server: WharfServer
        do {
            server = try WharfServer(config: configuration, logger: logger)
        } catch let error as ConfigError {
            throw ValidationError("\(error)")
        }
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
