import Foundation
import NIOHTTP1
import Testing
@testable import WharfPurge
@testable import WharfServer

/// The purge API through the real server's admin listener: auth, bad input, the answer's shape,
/// idempotency and the local effect (no CDN provider here; the edges are in EdgeTests).
@Suite struct PurgeAPITests {
    static let token = "test-token-0123456789"

    func start(tokens: [String] = [token], files: [String: [UInt8]] = ["a.css": Array("body{color:red}".utf8)],
               configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-state-\(UUID().uuidString)").path
        return try await TestServer(files: files) { c in
            c.purge.tokens = tokens
            c.purge.stateDirectory = state
            configure(&c)
        }
    }

    func post(_ client: Client, _ server: TestServer, _ body: String, query: String = "", token: String? = token,
              _ headers: [(String, String)] = []) async throws -> Got {
        var h = headers
        if let token { h.append(("Authorization", "Bearer \(token)")) }
        return try await client.send("http://127.0.0.1:\(server.adminPort)/purge\(query)", method: .POST, body: body, h)
    }

    @Test func authIsRequiredAndCheckedAndNeverOpenWithoutATokenConfigured() async throws {
        let server = try await start()
        let client = try Client()
        let missing = try await post(client, server, #"{"all":true}"#, token: nil)
        #expect(missing.status == 401 && missing.h("WWW-Authenticate") == "Bearer")
        #expect(try await post(client, server, #"{"all":true}"#, token: "wrong-token-0123456789").status == 403)
        let basic = try await client.send("http://127.0.0.1:\(server.adminPort)/purge", method: .POST, body: "{}",
                                          [("Authorization", "Basic YTpi")])
        #expect(basic.status == 401)
        let get = try await client.get("http://127.0.0.1:\(server.adminPort)/purge/nope")
        #expect(get.status == 401)
        await server.stop()

        let closed = try await start(tokens: [])
        let refused = try await post(client, closed, #"{"all":true}"#)
        #expect(refused.status == 403 && refused.text.contains("no token configured"))
        await closed.stop()
        try await client.shutdown()
    }

    @Test func badInputGetsA4xxNamingTheProblem() async throws {
        let server = try await start { $0.purge.options.limits.maxBodyBytes = 2048 }
        let client = try Client()
        let bad = try await post(client, server, #"{"urls":["/a"],"colour":"red"}"#)
        #expect(bad.status == 400 && bad.text.contains("unknown field") && bad.h("Content-Type") == "application/json")
        #expect(try await post(client, server, "{").status == 400)
        #expect(try await post(client, server, #"{"all":true}"#, query: "?wait=soon").status == 400)
        let big = try await post(client, server, #"{"tags":[""# + String(repeating: "a", count: 4000) + #""]}"#)
        #expect(big.status == 413)
        let wrongMethod = try await client.get("http://127.0.0.1:\(server.adminPort)/purge", [("Authorization", "Bearer \(Self.token)")])
        #expect(wrongMethod.status == 405 && wrongMethod.h("Allow") == "POST")
        let unknown = try await client.get("http://127.0.0.1:\(server.adminPort)/purge/p0-0", [("Authorization", "Bearer \(Self.token)")])
        #expect(unknown.status == 404)
        // The admin listener still answers its other routes on the same server.
        #expect(try await client.get("http://127.0.0.1:\(server.adminPort)/healthz").status == 200)
        await server.stop()
        try await client.shutdown()
    }

    @Test func acceptedPurgeIsReportedAndIdempotent() async throws {
        let server = try await start()
        let client = try Client()
        // No provider: done as soon as the local effect is.
        let r = try await post(client, server, #"{"tags":["build.1"],"urls":["/a.css"]}"#, query: "?wait=5s",
                               [("Idempotency-Key", "deploy-1")])
        #expect(r.status == 200)
        let status = try JSONDecoder().decode(PurgeStatus.self, from: Data(r.body))
        #expect(status.state == .done && status.providers.isEmpty && status.request.urls == ["/a.css"])
        #expect(r.h("Location") == "/purge/\(status.id)")
        let again = try await post(client, server, #"{"urls":["/a.css"],"tags":["build.1"]}"#, [("Idempotency-Key", "deploy-1")])
        #expect(again.h("Idempotent-Replayed") == "true")
        #expect(try JSONDecoder().decode(PurgeStatus.self, from: Data(again.body)).id == status.id)
        let conflict = try await post(client, server, #"{"urls":["/b.css"]}"#, [("Idempotency-Key", "deploy-1")])
        #expect(conflict.status == 422)
        let got = try await client.get("http://127.0.0.1:\(server.adminPort)/purge/\(status.id)", [("Authorization", "Bearer \(Self.token)")])
        #expect(try got.status == 200 && JSONDecoder().decode(PurgeStatus.self, from: Data(got.body)) == status)
        let metrics = try await client.get("http://127.0.0.1:\(server.adminPort)/metrics")
        #expect(metrics.text.contains("wharf_purges_accepted_total 2") || metrics.text.contains("wharf_purges_accepted_total 1"))
        await server.stop()
        try await client.shutdown()
    }

    @Test func purgeRehashesTheFileBeforeAnswering() async throws {
        // Re-scans would take an hour: only the purge makes the server see the new bytes.
        let server = try await start { $0.cache.revalidateInterval = 3600 }
        let client = try Client()
        let before = try await client.get(server.base + "/a.css")
        #expect(before.text == "body{color:red}")
        // Same size, same mtime: a stat re-scan could not notice; the purge re-hashes the file.
        let path = server.root.appendingPathComponent("a.css").path
        let mtime = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as! Date
        try server.write("a.css", Array("body{color:tan}".utf8))
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: path)
        #expect(try await client.get(server.base + "/a.css").text == "body{color:red}")
        #expect(try await post(client, server, #"{"urls":["/a.css"]}"#).status == 200) // no provider: done at once
        let after = try await client.get(server.base + "/a.css")
        #expect(after.text == "body{color:tan}")
        #expect(after.h("ETag") != before.h("ETag"))
        await server.stop()
        try await client.shutdown()
    }
}
