import Foundation
import WharfHTTP
@testable import WharfPurge

/// Cloudflare's zone purge API as documented (developers.cloudflare.com/api …/cache/methods/purge,
/// /cache/how-to/purge-cache, the 2026-09-28 invalidate_cache changelog):
///
/// - `POST /zones/{zone_id}/purge_cache` (hard) or `/invalidate_cache` (soft), with
///   `Authorization: Bearer <token>` (a wrong token is answered 403, code 10000) and
///   `Content-Type: application/json`;
/// - a body of exactly one selector: `files` (absolute http(s) URLs), `tags`, `prefixes`
///   (`host/path`, no scheme), each 1…`maxItems` strings, or `"purge_everything": true`;
/// - success is 200 `{"success":true,"errors":[],"messages":[],"result":{"id":…}}`;
/// - optionally the account's token bucket: past it, 429 with `Retry-After` (code 971).
struct CloudflareShapeChecker: DocumentedAPI {
    let zoneID: String
    let token: String
    var maxItems = 100
    /// Enforced request bucket (rate per second, size), or nil.
    var limit: (rate: Double, burst: Double)?
    let bucket = Bucket()

    final class Bucket: @unchecked Sendable {
        let lock = NSLock()
        var tokens: Double?
        var last = 0.0
    }

    /// A selector as received: endpoint (`purge_cache`/`invalidate_cache`), kind and items.
    struct Call: Equatable {
        let endpoint: String
        let kind: String
        let items: [String]
    }

    static func calls(_ server: CheckerServer) -> [Call] {
        server.requests.compactMap { r in
            guard let first = r.json?.first else { return nil }
            let (kind, value) = (first.key, first.value)
            let endpoint = String(r.path.split(separator: "/").last ?? "")
            return Call(endpoint: endpoint, kind: kind, items: (value as? [String]) ?? [(value as? Bool).map { "\($0)" } ?? "?"])
        }
    }

    func answer(_ r: CheckerServer.Request) -> (CheckerServer.Response, problems: [String]) {
        var problems: [String] = []
        if r.method != "POST" { problems.append("method must be POST") }
        let endpoints = ["/zones/\(zoneID)/purge_cache", "/zones/\(zoneID)/invalidate_cache"]
        guard endpoints.contains(r.uri) else {
            return (.json(404, Self.failure(7003, "No route for the URI")), problems + ["no such endpoint \(r.uri)"])
        }
        guard let auth = r.header("Authorization"), auth.hasPrefix("Bearer "), auth.count > 7 else {
            return (.json(400, "{}"), problems + ["Authorization must be Bearer <token>"])
        }
        if r.header("Content-Type") != "application/json" { problems.append("Content-Type must be application/json") }
        guard let json = r.json, json.count == 1, let first = json.first else {
            return (.json(400, Self.failure(1012, "Request must contain one of 'purge_everything', 'files', 'tags', 'hosts' or 'prefixes'")),
                    problems + ["body must be a JSON object with exactly one selector"])
        }
        let (kind, value) = (first.key, first.value)
        switch kind {
        case "purge_everything":
            if value as? Bool != true || r.body != Array(#"{"purge_everything":true}"#.utf8) { problems.append("purge_everything must be true") }
        case "files", "tags", "prefixes":
            guard let items = value as? [String], (1...maxItems).contains(items.count) else {
                problems.append("\(kind) must be an array of 1–\(maxItems) strings")
                break
            }
            for item in items {
                let bad: Bool
                switch kind {
                case "files":
                    bad = !(item.hasPrefix("https://") || item.hasPrefix("http://")) || !item.dropFirst(8).contains("/")
                        || item.utf8.contains(where: { $0 > 0x7E || $0 <= 0x20 })
                case "prefixes":
                    bad = item.contains("://") || item.hasPrefix("/") || !item.contains("/")
                        || item.utf8.contains(where: { $0 > 0x7E || $0 <= 0x20 })
                default:
                    bad = item.isEmpty || item.contains(",")
                }
                if bad { problems.append("bad \(kind) item \"\(item.prefix(80))\"") }
            }
        default:
            problems.append("unknown selector \(kind)")
        }
        if auth != "Bearer " + token {
            return (.json(403, Self.failure(10000, "Authentication error")), problems)
        }
        if let limit, !take(at: r.at, limit) {
            return (.json(429, Self.failure(971, "Please wait and consider throttling your request speed"),
                          headers: [("Retry-After", "1")]), problems)
        }
        return (.json(200, #"{"success":true,"errors":[],"messages":[],"result":{"id":"9a7806061c88ada191ed06f989cc3dac"}}"#), problems)
    }

    private func take(at now: Double, _ limit: (rate: Double, burst: Double)) -> Bool {
        bucket.lock.withLock {
            var tokens = bucket.tokens ?? limit.burst
            tokens = min(limit.burst, tokens + (now - bucket.last) * limit.rate)
            bucket.last = now
            guard tokens >= 1 else {
                bucket.tokens = tokens
                return false
            }
            bucket.tokens = tokens - 1
            return true
        }
    }

    static func failure(_ code: Int, _ message: String) -> String {
        #"{"success":false,"errors":[{"code":\#(code),"message":\#(JSONText.quote(message))}],"messages":[],"result":null}"#
    }
}
