import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import WharfPurge

/// `wharf purge`: asks an origin's purge API to purge, waits for the fan-out and says how it went
/// in its exit code, for deploy scripts.
struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Purge URLs, tags, prefixes or everything at every configured CDN, through an origin's purge API.",
        discussion: """
            URLs are paths (/css/site.css, /img/a.jpg?w=300) or absolute URLs; a URL argument "-" reads \
            more, one per line, from standard input. Tags are surrogate tags: a path tags the file and \
            every variant derived from it (/img/a.jpg), a directory tags everything under it (/img/), \
            "build.<id>" a whole build. The token comes from --token or WHARF_PURGE_TOKEN, the endpoint \
            from --endpoint or WHARF_PURGE_ENDPOINT (default http://127.0.0.1:9080, the admin listener).

            Exit status: 0 every provider confirmed (or --wait 0 and the purge was accepted); 2 usage; \
            3 the token was refused; 4 a provider failed or had not confirmed when --wait ran out (named \
            on stderr); 5 the origin could not be reached or did not accept the purge.
            """
    )

    @Option(name: .customLong("url"), help: "A URL to purge (repeatable).")
    var urls: [String] = []

    @Option(name: .customLong("tag"), help: "A surrogate tag to purge (repeatable).")
    var tags: [String] = []

    @Option(name: .customLong("prefix"), help: "A URL path prefix to purge (repeatable).")
    var prefixes: [String] = []

    @Flag(help: "Purge everything.")
    var all = false

    @Flag(help: "Mark stale (revalidate) instead of removing, where the CDN can.")
    var soft = false

    @Option(help: "How long to wait for every provider to confirm, e.g. 60s, 2m; 0 returns once accepted.")
    var wait = "60s"

    @Flag(help: "Print the purge's status as JSON.")
    var json = false

    @Option(help: "The origin's admin listener (default: $WHARF_PURGE_ENDPOINT or http://127.0.0.1:9080).")
    var endpoint: String?

    @Option(help: "Purge API token (default: $WHARF_PURGE_TOKEN).")
    var token: String?

    @Option(name: .customLong("idempotency-key"), help: "Sent as Idempotency-Key: a retried call with the same key returns the first purge.")
    var idempotencyKey: String?

    @Argument(help: "More URLs to purge; \"-\" reads them from standard input.")
    var more: [String] = []

    enum Exit {
        static let usage: Int32 = 2
        static let auth: Int32 = 3
        static let providerFailed: Int32 = 4
        static let unreachable: Int32 = 5
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let waitSeconds = PurgeDuration.seconds(wait), waitSeconds >= 0 else {
            fail(Exit.usage, "--wait: expected a duration like 60s, 2m or 0, got \"\(wait)\"")
        }
        var allURLs = urls
        for u in more {
            if u == "-" {
                while let line = readLine() {
                    let t = line.trimmingCharacters(in: .whitespaces)
                    if !t.isEmpty && !t.hasPrefix("#") { allURLs.append(t) }
                }
            } else {
                allURLs.append(u)
            }
        }
        guard !allURLs.isEmpty || !tags.isEmpty || !prefixes.isEmpty || all else {
            fail(Exit.usage, "nothing to purge: give --url, --tag, --prefix or --all")
        }
        guard let token = token ?? environment["WHARF_PURGE_TOKEN"], !token.isEmpty else {
            fail(Exit.usage, "no token: pass --token or set WHARF_PURGE_TOKEN")
        }
        let base = endpoint ?? environment["WHARF_PURGE_ENDPOINT"] ?? "http://127.0.0.1:9080"
        let request = PurgeRequest(urls: allURLs, tags: tags, prefixes: prefixes, all: all, soft: soft)
        let client = PurgeAPIClient(endpoint: base, token: token)
        let result = await client.purge(request, waitSeconds: waitSeconds, idempotencyKey: idempotencyKey)
        await client.shutdown()
        switch result {
        case .unreachable(let why):
            fail(Exit.unreachable, "origin \(base) unreachable: \(why)")
        case .refused(let status, let message):
            fail(status == 401 || status == 403 ? Exit.auth : (status >= 500 ? Exit.unreachable : Exit.usage),
                 "purge refused (HTTP \(status)): \(message)")
        case .status(let status, let raw):
            if json {
                print(raw, terminator: raw.hasSuffix("\n") ? "" : "\n")
            } else {
                print("purge \(status.id): \(status.state.rawValue) — \(status.request.summary)")
                for p in status.providers {
                    print("  \(p.provider): \(p.state.rawValue) after \(p.attempts) attempt(s)\(p.detail.map { " — \($0)" } ?? "")")
                }
            }
            switch status.state {
            case .done:
                return
            case .pending where waitSeconds == 0:
                return
            case .pending:
                let names = status.providers.filter { $0.state == .pending }.map(\.provider)
                fail(Exit.providerFailed, "not confirmed within \(wait): \(names.joined(separator: ", ")) still pending (purge \(status.id) goes on)")
            case .failed:
                let names = status.providers.filter { $0.state == .failed }.map(\.provider)
                fail(Exit.providerFailed, "failed at \(names.joined(separator: ", ")) (purge \(status.id))")
            }
        }
    }

    private func fail(_ code: Int32, _ message: String) -> Never {
        FileHandle.standardError.write(Data("wharf purge: \(message)\n".utf8))
        Foundation.exit(code)
    }
}

/// The HTTP side of `wharf purge`.
struct PurgeAPIClient {
    enum Result {
        case status(PurgeStatus, raw: String)
        case refused(Int, String)
        case unreachable(String)
    }

    let endpoint: String
    let token: String
    let http = HTTPClient(eventLoopGroupProvider: .singleton)

    func purge(_ request: PurgeRequest, waitSeconds: Double, idempotencyKey: String?) async -> Result {
        var url = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        url += "/purge"
        if waitSeconds > 0 { url += "?wait=\(Int(waitSeconds.rounded(.up)))s" }
        var r = HTTPClientRequest(url: url)
        r.method = .POST
        r.headers.add(name: "Authorization", value: "Bearer \(token)")
        r.headers.add(name: "Content-Type", value: "application/json")
        if let idempotencyKey { r.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        do {
            let body = try JSONEncoder().encode(request)
            r.body = .bytes(ByteBuffer(bytes: body))
            let response = try await http.execute(r, timeout: .seconds(Int64(waitSeconds.rounded(.up)) + 30))
            let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
            let code = Int(response.status.code)
            guard code == 200 || code == 202 else {
                let message = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)))?["error"] ?? text
                return .refused(code, message.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let status = try JSONDecoder().decode(PurgeStatus.self, from: Data(text.utf8))
            return .status(status, raw: text)
        } catch {
            return .unreachable("\(error)")
        }
    }

    func shutdown() async {
        try? await http.shutdown()
    }
}
