import Foundation
import NIOCore
import NIOHTTP1
import WharfPurge

/// What every connection handler shares: configuration, the responder, the blocking pool,
/// metrics and the access log.
final class ServerServices: Sendable {
    let config: ServerConfiguration
    let responder: StaticResponder
    let pool: BlockingPool
    let metrics: ServerMetrics
    let accessLog: AccessLog?
    /// Set when a purge provider purges by URL only (nginx): every cacheable answer's URL is noted.
    let served: ServedRecorder?

    init(config: ServerConfiguration, responder: StaticResponder, pool: BlockingPool, metrics: ServerMetrics, accessLog: AccessLog?,
         served: ServedRecorder? = nil) {
        self.config = config
        self.responder = responder
        self.pool = pool
        self.metrics = metrics
        self.accessLog = accessLog
        self.served = served
    }

    /// Statuses an edge may keep (RFC 9111 heuristically cacheable, plus 206 and 304 whose
    /// object the edge holds under the same URL).
    static func edgeCacheable(_ status: UInt) -> Bool {
        switch status {
        case 200, 203, 204, 206, 300, 301, 304, 308, 404, 405, 410, 414, 501: true
        default: false
        }
    }

    /// Metrics, access log and served-URL record for one answered request.
    func recordRequest(head: HTTPRequestHead, reply: Reply, start: NIODeadline, remote: String, http: String) {
        let elapsed = (NIODeadline.now() - start).nanoseconds
        let bytes = reply.sendBody ? reply.bodyLength : 0
        metrics.record(route: reply.route, status: reply.status.code, bodyBytes: bytes, nanoseconds: elapsed)
        if let served, head.method == .GET || head.method == .HEAD, Self.edgeCacheable(reply.status.code),
           reply.route == .static || reply.route == .image {
            served.record(uri: head.uri, path: PurgeMatcher.decodedPath(head.uri))
        }
        guard let accessLog else { return }
        accessLog.record(AccessRecord(
            time: Date().timeIntervalSince1970, remote: remote, method: head.method.rawValue, uri: head.uri,
            version: http, status: reply.status.code, bytes: bytes, durationMicros: elapsed / 1000,
            route: reply.route.rawValue, userAgent: head.headers.first(name: "user-agent") ?? "-",
            encoding: reply.fields.first { $0.0 == "Content-Encoding" }?.1 ?? "identity",
            type: reply.fields.first { $0.0 == "Content-Type" }?.1 ?? "-"))
    }
}
