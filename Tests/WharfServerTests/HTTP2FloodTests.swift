import Foundation
import Testing
@testable import WharfServer

/// HTTP/2 floods (issue #7), sent as raw frames by `scripts/h2-attack.py` (Python `h2`'s
/// hyperframe and hpack). Each attack must end in a GOAWAY with the right error code and a
/// closed connection, after a bounded amount of work, while a normal HTTP/1.1 client polling
/// the same server every 50 ms is answered without a failure.
@Suite(.serialized) struct HTTP2FloodTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let big = [UInt8](repeating: 0x5A, count: 4 << 20)

    struct Outcome: Decodable {
        let sent: Int
        let goaway: String?
        let closed_by_server: Bool
        let resets: Int
        let reset_codes: [String: Int]
        let first_reset_after: Double?
        let responses: Int
        let settings_acks: Int
        let ping_acks: Int
        let probe_requests: Int
        let probe_failures: [String]
        let probe_max_ms: Double?
    }

    static func attack(_ name: String, port: Int, count: Int = 5000, hold: Double = 5, extra: [String] = []) async throws -> Outcome {
        let script = repo.appendingPathComponent("scripts/h2-attack.py").path
        // Waited for with the suite's process runner, which polls instead of blocking a thread of
        // the cooperative pool for the attack's seconds.
        let r = try await HLSTests.tool(["/usr/bin/python3", script, "127.0.0.1", String(port), name, "--count", String(count),
                                         "--hold", String(hold), "--path", "/small.txt"] + extra)
        #expect(r.status == 0, "h2-attack.py \(name) exited \(r.status): \(r.stderr.suffix(2000))")
        return try JSONDecoder().decode(Outcome.self, from: Data(r.stdout.utf8))
    }

    static func server(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        try await TestServer(files: ["small.txt": Array("small and fine\n".utf8), "big.bin": big], configure: configure)
    }

    /// The normal client was served throughout. The latency bound is loose on purpose (shared
    /// machine, debug build): it catches a server that stalls, not one that is slow. Under the
    /// whole suite on a 2-vCPU Intel build machine (headless Chromium, ffmpeg and other servers
    /// running beside it), the baseline's slowest probe took 2.2–2.4 s; alone it stays well under
    /// that. A server the flood stalls keeps the probe waiting for the whole attack (up to the
    /// probe's 5 s socket timeout, a failure), so 4 s still tells the two apart.
    static func expectProbeServed(_ o: Outcome, _ name: String) {
        #expect(o.probe_requests >= 2, "\(name): the probe did not run")
        #expect(o.probe_failures.isEmpty, "\(name): the normal client failed: \(o.probe_failures)")
        #expect((o.probe_max_ms ?? .infinity) < 4000, "\(name): the normal client waited \(o.probe_max_ms ?? -1) ms")
    }

    @Test func aWellBehavedClientIsServedInFull() async throws {
        let s = try await Self.server()
        defer { Task { await s.stop() } }
        let o = try await Self.attack("baseline", port: s.port, count: 1000, hold: 0.5)
        #expect(o.responses == 1000 && o.resets == 0, "responses \(o.responses), resets \(o.resets)")
        #expect(o.goaway == nil || o.goaway == "NO_ERROR")
        Self.expectProbeServed(o, "baseline")
    }

    @Test func rapidResetEndsInEnhanceYourCalm() async throws {
        let s = try await Self.server()
        defer { Task { await s.stop() } }
        let o = try await Self.attack("rapid-reset", port: s.port, count: 20_000)
        #expect(o.goaway == "ENHANCE_YOUR_CALM" && o.closed_by_server, "goaway \(o.goaway ?? "none"), closed \(o.closed_by_server)")
        // Work done is bounded by the reset limit (200), not by what the client sent.
        #expect(o.responses <= 200 + 100, "answered \(o.responses) of \(o.sent) reset streams")
        Self.expectProbeServed(o, "rapid reset")
    }

    @Test func theResetLimitIsAKnob() async throws {
        let s = try await Self.server { $0.limits.http2.maxResets = 20 }
        defer { Task { await s.stop() } }
        let o = try await Self.attack("rapid-reset", port: s.port, count: 2000)
        #expect(o.goaway == "ENHANCE_YOUR_CALM" && o.closed_by_server)
        #expect(o.responses <= 20 + 1, "answered \(o.responses) with a limit of 20")
    }

    @Test func continuationFloodIsCutAfterFiveFrames() async throws {
        let s = try await Self.server()
        defer { Task { await s.stop() } }
        let o = try await Self.attack("continuation", port: s.port, count: 100_000)
        #expect(o.goaway == "ENHANCE_YOUR_CALM" && o.closed_by_server, "goaway \(o.goaway ?? "none"), closed \(o.closed_by_server)")
        #expect(o.sent < 100_000, "the server read all \(o.sent) CONTINUATION frames")
        #expect(o.responses == 0)
        Self.expectProbeServed(o, "CONTINUATION flood")
    }

    @Test(arguments: ["settings-flood", "ping-flood"])
    func controlFrameFloodsAreCut(_ name: String) async throws {
        let s = try await Self.server { $0.limits.http2.maxControlFrames = 50 }
        defer { Task { await s.stop() } }
        let o = try await Self.attack(name, port: s.port, count: 100_000)
        #expect(o.goaway == "ENHANCE_YOUR_CALM" && o.closed_by_server, "\(name): goaway \(o.goaway ?? "none"), closed \(o.closed_by_server)")
        // The client's own SETTINGS counts too; each answered frame is one ACK.
        #expect(o.settings_acks + o.ping_acks <= 50 + 1, "\(name): \(o.settings_acks) SETTINGS and \(o.ping_acks) PING acks")
        Self.expectProbeServed(o, name)
    }

    @Test func emptyDataFloodIsCut() async throws {
        let s = try await Self.server()
        defer { Task { await s.stop() } }
        let o = try await Self.attack("empty-data", port: s.port, count: 100_000)
        #expect(o.goaway == "ENHANCE_YOUR_CALM" && o.closed_by_server, "goaway \(o.goaway ?? "none"), closed \(o.closed_by_server)")
        Self.expectProbeServed(o, "empty DATA flood")
    }

    @Test func hpackBombIsRefusedAtTheHeaderListLimit() async throws {
        let s = try await Self.server()
        defer { Task { await s.stop() } }
        let o = try await Self.attack("hpack-bomb", port: s.port, count: 50)
        // The first request (which plants a 4 KB entry in the table) is answered; the first one
        // that references it 4,000 times (16 MB decoded) ends the connection.
        #expect(o.goaway == "COMPRESSION_ERROR" && o.closed_by_server, "goaway \(o.goaway ?? "none"), closed \(o.closed_by_server)")
        #expect(o.responses <= 1)
        Self.expectProbeServed(o, "HPACK bomb")
    }

    @Test func aZeroWindowClientHasItsStreamsResetAtTheSendTimeout() async throws {
        let s = try await Self.server { $0.limits.idleTimeout = 1 }
        defer { Task { await s.stop() } }
        let o = try await Self.attack("zero-window", port: s.port, count: 100, hold: 6, extra: ["--big", "/big.bin"])
        #expect(o.resets == 100 && o.reset_codes["CANCEL"] == 100, "resets \(o.reset_codes)")
        if let t = o.first_reset_after { #expect(t >= 0.9, "streams reset after \(t) s, before the 1 s timeout") }
        // Then, with no stream left, the idle timer sends its graceful GOAWAY.
        #expect(o.goaway == "NO_ERROR", "goaway \(o.goaway ?? "none")")
        Self.expectProbeServed(o, "zero window")
    }
}
