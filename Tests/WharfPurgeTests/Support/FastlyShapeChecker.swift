import Foundation
import WharfHTTP
@testable import WharfPurge

/// Fastly's purge API as documented (api.fastly.com; fastly-js docs/PurgeApi.md, the docs.rs
/// `fastly-api` PurgeApi, docs.fastly.com/en/guides/soft-purges):
///
/// - every call is `POST` with `Fastly-Key: <token>` (a wrong token is answered 401) and
///   `Accept: application/json`; `Fastly-Soft-Purge`, when present, is `1`;
/// - `/service/{id}/purge` takes `Content-Type: application/json` and exactly
///   `{"surrogate_keys":[…]}` with 1–256 keys of at most 1024 bytes, no spaces; answers a map of
///   key → purge id;
/// - `/service/{id}/purge_all` has no body and cannot be soft; answers `{"status":"ok"}`;
/// - `/purge/{host}{path}` (the single-URL purge: the cached URL without its scheme) has no
///   body; answers `{"status":"ok","id":…}`.
struct FastlyShapeChecker: DocumentedAPI {
    let serviceID: String
    let token: String

    /// What was purged, as the API understood it.
    struct Purged: Equatable {
        var keys: [String] = []
        var urls: [String] = []
        var all = 0
        var softCalls = 0
    }

    static func purged(_ server: CheckerServer) -> Purged {
        var p = Purged()
        for r in server.requests where r.header("Fastly-Key") != nil {
            if r.header("Fastly-Soft-Purge") == "1" { p.softCalls += 1 }
            if r.path.hasSuffix("/purge_all") { p.all += 1 }
            else if r.path.hasPrefix("/purge/") { p.urls.append(String(r.uri.dropFirst("/purge/".count))) }
            else if let keys = r.json?["surrogate_keys"] as? [String] { p.keys += keys }
        }
        return p
    }

    func answer(_ r: CheckerServer.Request) -> (CheckerServer.Response, problems: [String]) {
        var problems: [String] = []
        if r.method != "POST" { problems.append("method must be POST") }
        guard let key = r.header("Fastly-Key") else { return (.json(401, "{}"), ["no Fastly-Key header"]) }
        if r.header("Accept") != "application/json" { problems.append("Accept must be application/json") }
        if let soft = r.header("Fastly-Soft-Purge"), soft != "1" { problems.append("Fastly-Soft-Purge must be 1") }
        if r.headers.contains(name: "Authorization") { problems.append("Fastly takes the token in Fastly-Key only") }
        let service = "/service/\(serviceID)"
        let ok: CheckerServer.Response
        if r.path == service + "/purge" {
            if r.header("Content-Type") != "application/json" { problems.append("Content-Type must be application/json") }
            guard let json = r.json, json.count == 1, let keys = json["surrogate_keys"] as? [String] else {
                return (.json(400, #"{"msg":"Bad request"}"#), problems + ["body must be exactly {\"surrogate_keys\":[strings]}"])
            }
            if keys.isEmpty || keys.count > 256 { problems.append("\(keys.count) keys in one call (1–256)") }
            for k in keys where k.isEmpty || k.utf8.count > 1024 || k.contains(" ") {
                problems.append("bad surrogate key \"\(k.prefix(60))\"")
            }
            if Set(keys).count != keys.count { problems.append("repeated keys in one call") }
            let ids = keys.enumerated().map { "\(JSONText.quote($0.element)):\"108-1391560174-\($0.offset)\"" }
            ok = .json(200, "{" + ids.joined(separator: ",") + "}")
        } else if r.path == service + "/purge_all" {
            if !r.body.isEmpty { problems.append("purge_all takes no body") }
            if r.header("Fastly-Soft-Purge") != nil { problems.append("purge_all cannot be soft") }
            ok = .json(200, #"{"status":"ok"}"#)
        } else if r.path.hasPrefix("/purge/") {
            let cached = r.uri.dropFirst("/purge/".count)
            if !r.body.isEmpty { problems.append("a URL purge takes no body") }
            if cached.hasPrefix("http:") || cached.hasPrefix("https:") { problems.append("the cached URL goes without its scheme") }
            let host = cached.prefix { $0 != "/" && $0 != "?" }
            if host.isEmpty || !host.contains(".") { problems.append("no host in \(cached)") }
            if !cached.dropFirst(host.count).hasPrefix("/") { problems.append("the cached URL needs a path after its host") }
            if r.uri.utf8.contains(where: { $0 > 0x7E || $0 <= 0x20 }) { problems.append("raw non-ASCII or space in the URL") }
            ok = .json(200, #"{"status":"ok","id":"108-1391560174-974124"}"#)
        } else {
            return (.json(404, #"{"msg":"Record not found"}"#), problems + ["no such endpoint \(r.path)"])
        }
        // Checked after the shape: a wrong token is the API's answer, not a malformed request.
        if key != token { return (.json(401, #"{"msg":"Provided credentials are missing or invalid"}"#), problems) }
        return (ok, problems)
    }
}
