import Foundation
import WharfHTTP
@testable import WharfPurge

/// Akamai Fast Purge v3 as documented (techdocs.akamai.com/purge-cache/reference: the
/// invalidate/delete operations, rate limiting, errors; EdgeGrid from Akamai's edgegrid clients):
///
/// - `POST /ccu/v3/{invalidate|delete}/{url|tag|cpcode}/{production|staging}` with
///   `Content-Type: application/json` and exactly `{"objects":[…]}`, one object type per call,
///   the body at most 50,000 bytes (413 beyond); URLs absolute and ASCII, tags at most 128
///   characters from Akamai's set;
/// - `Authorization: EG1-HMAC-SHA256 client_token=…;access_token=…;timestamp=…;nonce=…;signature=…`:
///   the tokens must match, the timestamp must be `yyyyMMddTHH:mm:ss+0000` within a minute of now,
///   a nonce may not be used twice, and the signature must match the request as received (method,
///   scheme, Host, path, body); otherwise 401;
/// - success is 201 with `httpStatus`, `detail`, `estimatedSeconds`, `purgeId`, `supportId`.
struct AkamaiShapeChecker: DocumentedAPI {
    let credentials: EdgeGrid
    let nonces = Nonces()

    final class Nonces: @unchecked Sendable {
        let lock = NSLock()
        var seen = Set<String>()
        func insert(_ nonce: String) -> Bool { lock.withLock { seen.insert(nonce).inserted } }
    }

    /// A purge as received.
    struct Call: Equatable {
        let operation: String
        let type: String
        let network: String
        let objects: [String]
    }

    static func calls(_ server: CheckerServer) -> [Call] {
        server.requests.compactMap { r in
            let parts = r.path.split(separator: "/").map(String.init)
            guard parts.count == 5, let objects = r.json?["objects"] as? [String] else { return nil }
            return Call(operation: parts[2], type: parts[3], network: parts[4], objects: objects)
        }
    }

    static let tagBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%'+./^_`|~-".utf8)

    func answer(_ r: CheckerServer.Request) -> (CheckerServer.Response, problems: [String]) {
        var problems: [String] = []
        if r.method != "POST" { problems.append("method must be POST") }
        let parts = r.uri.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "", parts[1] == "ccu", parts[2] == "v3", ["invalidate", "delete"].contains(parts[3]),
              ["url", "tag", "cpcode"].contains(parts[4]), ["production", "staging"].contains(parts[5]) else {
            return (Self.problem(404, "Not Found", "no such operation"), problems + ["no such endpoint \(r.uri)"])
        }
        if r.header("Content-Type") != "application/json" { problems.append("Content-Type must be application/json") }
        if r.body.count > 50_000 {
            return (Self.problem(413, "Request Entity Too Large", "body over 50,000 bytes"),
                    problems + ["body of \(r.body.count) bytes (at most 50,000)"])
        }
        if let objects = r.json?["objects"] as? [String], r.json?.count == 1, !objects.isEmpty {
            for o in objects {
                let bad = parts[4] == "url"
                    ? !(o.hasPrefix("https://") || o.hasPrefix("http://")) || o.utf8.contains(where: { $0 > 0x7E || $0 <= 0x20 })
                    : o.isEmpty || o.utf8.count > 128 || !o.utf8.allSatisfy(Self.tagBytes.contains)
                if bad { problems.append("bad \(parts[4]) object \"\(o.prefix(80))\"") }
            }
        } else {
            problems.append("body must be exactly {\"objects\":[one or more strings]}")
        }
        if let failure = authenticate(r, problems: &problems) { return (failure, problems) }
        return (.json(201, """
            {"httpStatus":201,"detail":"Request accepted","estimatedSeconds":5,"purgeId":"e535071c-26b2-11e7-94d7-276f2f54d938","supportId":"17PY1492793544958045-219026624"}
            """), problems)
    }

    /// Checks the EdgeGrid header; a 401 answer when it does not authenticate the request.
    private func authenticate(_ r: CheckerServer.Request, problems: inout [String]) -> CheckerServer.Response? {
        let prefix = "EG1-HMAC-SHA256 "
        guard let auth = r.header("Authorization"), auth.hasPrefix(prefix) else {
            problems.append("Authorization must be EG1-HMAC-SHA256")
            return Self.problem(401, "Unauthorized", "missing EdgeGrid authorization")
        }
        let fields = auth.dropFirst(prefix.count).split(separator: ";").map { f -> (String, String) in
            let kv = f.split(separator: "=", maxSplits: 1).map(String.init)
            return (kv[0], kv.count > 1 ? kv[1] : "")
        }
        guard fields.map(\.0) == ["client_token", "access_token", "timestamp", "nonce", "signature"] else {
            problems.append("auth fields must be client_token, access_token, timestamp, nonce, signature in order")
            return Self.problem(401, "Unauthorized", "malformed authorization")
        }
        let value = Dictionary(uniqueKeysWithValues: fields)
        let timestamp = value["timestamp"]!, nonce = value["nonce"]!
        if timestamp.range(of: #"^\d{8}T\d{2}:\d{2}:\d{2}\+0000$"#, options: .regularExpression) == nil {
            problems.append("timestamp \(timestamp) is not yyyyMMddTHH:mm:ss+0000")
        } else {
            // Compare with now as text: the same format one minute either side.
            let now = Date()
            let window = [-60.0, 60.0].map { EdgeGrid.timestamp(now.addingTimeInterval($0)) }
            if timestamp < window[0] || timestamp > window[1] { problems.append("timestamp \(timestamp) is not now") }
        }
        if nonce.count < 16 || !nonces.insert(nonce) { problems.append("nonce \(nonce) is short or was used before") }
        guard value["client_token"] == credentials.clientToken, value["access_token"] == credentials.accessToken else {
            return Self.problem(401, "Unauthorized", "Invalid client token or access token")
        }
        // The signature over the request as it arrived (scheme http: this server has no TLS).
        guard let host = r.header("Host") else {
            problems.append("no Host header")
            return Self.problem(401, "Unauthorized", "no Host")
        }
        let unsigned = String(auth.prefix(auth.count - "signature=".count - value["signature"]!.count))
        let data = ["POST", "http", host, r.uri, "", EdgeGrid.contentHash(method: "POST", body: r.body, maxBody: 131_072), unsigned]
            .joined(separator: "\t")
        let expected = EdgeGrid.hmacBase64(key: credentials.signingKey(timestamp: timestamp), data: data)
        guard value["signature"] == expected else {
            return Self.problem(401, "Unauthorized", "The signature does not match")
        }
        return nil
    }

    static func problem(_ status: Int, _ title: String, _ detail: String, headers: [(String, String)] = []) -> CheckerServer.Response {
        CheckerServer.Response(status: status, headers: [("Content-Type", "application/problem+json")] + headers, body: """
            {"type":"https://problems.purge.akamaiapis.net/-/pep-authn/request-error","title":\(JSONText.quote(title)),"status":\(status),"detail":\(JSONText.quote(detail)),"supportId":"17PY1321286429616716-211907040"}
            """)
    }
}
