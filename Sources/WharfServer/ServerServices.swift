import Foundation
import NIOCore
import NIOHTTP1

/// What every connection handler shares: configuration, the responder, the blocking pool,
/// metrics and the access log.
final class ServerServices: Sendable {
    let config: ServerConfiguration
    let responder: StaticResponder
    let pool: BlockingPool
    let metrics: ServerMetrics
    let accessLog: AccessLog?

    init(config: ServerConfiguration, responder: StaticResponder, pool: BlockingPool, metrics: ServerMetrics, accessLog: AccessLog?) {
        self.config = config
        self.responder = responder
        self.pool = pool
        self.metrics = metrics
        self.accessLog = accessLog
    }

    /// Metrics and access log for one answered request.
    func recordRequest(head: HTTPRequestHead, reply: Reply, start: NIODeadline, remote: String, http: String) {
        let elapsed = (NIODeadline.now() - start).nanoseconds
        let bytes = reply.sendBody ? reply.bodyLength : 0
        metrics.record(route: reply.route, status: reply.status.code, bodyBytes: bytes, nanoseconds: elapsed)
        guard let accessLog else { return }
        accessLog.record(AccessRecord(
            time: Date().timeIntervalSince1970, remote: remote, method: head.method.rawValue, uri: head.uri,
            version: http, status: reply.status.code, bytes: bytes, durationMicros: elapsed / 1000,
            route: reply.route.rawValue, userAgent: head.headers.first(name: "user-agent") ?? "-",
            encoding: reply.fields.first { $0.0 == "Content-Encoding" }?.1 ?? "identity",
            type: reply.fields.first { $0.0 == "Content-Type" }?.1 ?? "-"))
    }
}
