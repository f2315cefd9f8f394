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
    ///
    /// - Parameter userAgent: the request's, when its fields kept it (HTTP/1.1 heads from the fast
    ///   decoder carry no header lines); otherwise it is read from `head`.
    func recordRequest(head: HTTPRequestHead, reply: Reply, start: NIODeadline, remote: String, http: String,
                       userAgent: String? = nil) {
        record(head, status: reply.status.code, route: reply.route, bodyBytes: reply.sendBody ? reply.bodyLength : 0,
               start: start, remote: remote, http: http, userAgent: userAgent) {
            (reply.fields.first { $0.0 == "Content-Encoding" }?.1 ?? "identity",
             reply.fields.first { $0.0 == "Content-Type" }?.1 ?? "-")
        }
    }

    /// The same record for a hot HTTP/1.1 hit: a full 200 of `variant`, answered without a ``Reply``.
    func recordHit(head: HTTPRequestHead, variant v: PreparedVariant, start: NIODeadline, remote: String, userAgent: String?) {
        record(head, status: 200, route: .static, bodyBytes: v.length, start: start, remote: remote, http: "HTTP/1.1",
               userAgent: userAgent) {
            (v.coding.rawValue, v.contentType)
        }
    }

    /// - Parameter representation: the access log's content-coding and type, read only when it logs.
    private func record(_ head: HTTPRequestHead, status: UInt, route: RouteKind, bodyBytes: Int, start: NIODeadline,
                        remote: String, http: String, userAgent: String?,
                        representation: () -> (encoding: String, type: String)) {
        let elapsed = (NIODeadline.now() - start).nanoseconds
        metrics.record(route: route, status: status, bodyBytes: bodyBytes, nanoseconds: elapsed)
        if let served, head.method == .GET || head.method == .HEAD, Self.edgeCacheable(status),
           route == .static || route == .image {
            served.record(uri: head.uri, path: PurgeMatcher.decodedPath(head.uri))
        }
        guard let accessLog else { return }
        let (encoding, type) = representation()
        accessLog.record(AccessRecord(
            time: Date().timeIntervalSince1970, remote: remote, method: head.method.rawValue, uri: head.uri,
            version: http, status: status, bytes: bodyBytes, durationMicros: elapsed / 1000,
            route: route.rawValue, userAgent: userAgent ?? head.headers.first(name: "user-agent") ?? "-",
            encoding: encoding, type: type))
    }
}
