import Crypto
import Foundation
import NIOHTTP1
import WharfHTTP
import WharfPurge

/// `POST /purge`, `GET /purge/{id}` on the admin listener.
///
/// Every call needs `Authorization: Bearer <token>` with one of `purge.tokens` (401 without,
/// 403 wrong; compared in constant time). With no token configured, every call is refused.
final class PurgeAPI: Sendable {
    /// An answer: status, extra header fields, JSON or text body.
    struct Answer: Sendable {
        var status: HTTPResponseStatus
        var fields: [(String, String)] = []
        var body: [UInt8]
        var contentType = "application/json"

        static func error(_ status: HTTPResponseStatus, _ message: String, fields: [(String, String)] = []) -> Answer {
            let json = (try? JSONSerialization.data(withJSONObject: ["error": message], options: [.sortedKeys])) ?? Data()
            // 503 is the journal (a full or failing disk): a deploy script should retry shortly.
            let extra = status == .serviceUnavailable && !fields.contains { $0.0 == "Retry-After" } ? [("Retry-After", "5")] : []
            return Answer(status: status, fields: fields + extra, body: [UInt8](json) + [0x0A])
        }
    }

    let service: PurgeService?
    /// SHA-256 of each token: comparing digests takes the same time whatever the token's length.
    private let tokenDigests: [[UInt8]]

    init(service: PurgeService?, tokens: [String]) {
        self.service = service
        self.tokenDigests = tokens.map { Array(SHA256.hash(data: Array($0.utf8))) }
    }

    /// Whether a path is one of ours.
    static func owns(_ path: String) -> Bool { path == "/purge" || path.hasBytePrefix("/purge/") }

    func handle(_ head: HTTPRequestHead, path: String, query: String?, body: [UInt8]) async -> Answer {
        if let refusal = authorize(head.headers) { return refusal }
        guard let service else {
            return .error(.serviceUnavailable, "purge journal is not open")
        }
        if path == "/purge" {
            guard head.method == .POST else { return .error(.methodNotAllowed, "use POST", fields: [("Allow", "POST")]) }
            return await submit(service, head, query: query, body: body)
        }
        guard head.method == .GET || head.method == .HEAD else {
            return .error(.methodNotAllowed, "use GET", fields: [("Allow", "GET, HEAD")])
        }
        let id = String(path.dropFirst("/purge/".count))
        let wait: Double
        do { wait = try Self.waitSeconds(query) } catch { return .error(.badRequest, error.message) }
        do {
            let status = wait > 0 ? try await service.wait(id, seconds: wait) : try await service.status(id)
            guard let status else { return .error(.notFound, "no purge \(id)") }
            return Self.answer(status, accepted: false)
        } catch {
            return .error(HTTPResponseStatus(statusCode: error.status), error.message)
        }
    }

    private func submit(_ service: PurgeService, _ head: HTTPRequestHead, query: String?, body: [UInt8]) async -> Answer {
        let wait: Double
        let request: PurgeRequest
        do {
            wait = try Self.waitSeconds(query)
            request = try PurgeRequest.parse(json: body, limits: service.options.limits)
        } catch {
            return .error(HTTPResponseStatus(statusCode: error.status), error.message)
        }
        let key = head.headers.first(name: "Idempotency-Key")
        if let key, key.isEmpty || key.utf8.count > 255 {
            return .error(.badRequest, "Idempotency-Key must be 1-255 characters")
        }
        do {
            let submitted = try await service.submit(request, idempotencyKey: key)
            let status = wait > 0 ? try await service.wait(submitted.id, seconds: wait) : try await service.status(submitted.id)
            guard let status else { return .error(.internalServerError, "purge \(submitted.id) vanished") }
            var answer = Self.answer(status, accepted: true)
            answer.fields.append(("Location", "/purge/\(submitted.id)"))
            if !submitted.created { answer.fields.append(("Idempotent-Replayed", "true")) }
            return answer
        } catch {
            return .error(HTTPResponseStatus(statusCode: error.status), error.message)
        }
    }

    /// 202 while pending (the purge is accepted and durable), 200 once every provider finished.
    static func answer(_ status: PurgeStatus, accepted: Bool) -> Answer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body: [UInt8] = (try? encoder.encode(status)).map { [UInt8]($0) + [0x0A] } ?? []
        return Answer(status: status.state == .pending && accepted ? .accepted : .ok, body: body)
    }

    /// nil when the request carries a configured token, else the refusal.
    func authorize(_ headers: HTTPHeaders) -> Answer? {
        guard !tokenDigests.isEmpty else {
            return .error(.forbidden, "purge API disabled: no token configured (purge.tokens or WHARF_PURGE_TOKEN)")
        }
        guard let field = headers.first(name: "Authorization") else {
            return .error(.unauthorized, "missing Authorization: Bearer <token>", fields: [("WWW-Authenticate", "Bearer")])
        }
        let parts = field.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .error(.unauthorized, "expected Authorization: Bearer <token>", fields: [("WWW-Authenticate", "Bearer")])
        }
        let given = Array(SHA256.hash(data: Array(parts[1].trimmingCharacters(in: .whitespaces).utf8)))
        var match = false
        for digest in tokenDigests {
            var diff: UInt8 = 0
            for i in 0..<digest.count { diff |= digest[i] ^ given[i] }
            match = match || diff == 0 // every token is compared, so timing does not tell which
        }
        return match ? nil : .error(.forbidden, "wrong purge token", fields: [("WWW-Authenticate", "Bearer error=\"invalid_token\"")])
    }

    /// `wait=30s`, `wait=500ms`, `wait=2m` or plain seconds; 0 when absent.
    static func waitSeconds(_ query: String?) throws(PurgeError) -> Double {
        guard let query else { return 0 }
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv[0] == "wait" else { continue }
            guard kv.count == 2, let seconds = PurgeDuration.seconds(String(kv[1])), seconds >= 0, seconds <= 86_400 else {
                throw PurgeError(status: 400, "wait must be a duration like 30s, 500ms or 2m")
            }
            return seconds
        }
        return 0
    }
}
