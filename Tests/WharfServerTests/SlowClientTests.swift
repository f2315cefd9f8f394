import Foundation
import Testing
@testable import WharfServer

/// Slow clients (issue #7) from Debian's `slowhttptest`, in slowloris and slow-read modes, while
/// a normal HTTP/1.1 client polls the same server every 50 ms on fresh connections. The normal
/// client must never fail or wait more than 3 s, and the server must shed the slow connections
/// by its own timeouts (`header_read_timeout`, and `idle_timeout` as the send timeout).
@Suite(.serialized) struct SlowClientTests {
    static let big = [UInt8](repeating: 0x42, count: 8 << 20)

    /// slowhttptest's report: its own probe's verdict, its exit status and its per-second CSV
    /// (`-g -o`; the status blocks on standard output are not all printed without a terminal).
    struct Report {
        let text: String
        /// Rows of seconds, closed, pending, connected.
        let rows: [[Int]]
        var unavailable: Bool { text.contains("service available:   NO") }
        var allClosedBeforeTheEnd: Bool { text.contains("Exit status: No open connections left") }
        var maxConnected: Int { rows.map { $0.count > 3 ? $0[3] : 0 }.max() ?? 0 }
    }

    /// Runs slowhttptest on its own thread (it blocks for the test length).
    final class Attack: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var report = Report(text: "", rows: [])

        init(_ arguments: [String]) {
            let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("slowhttptest-\(UUID().uuidString)").path
            Thread.detachNewThread { [self] in
                let r = try? run("/usr/bin/slowhttptest", arguments + ["-g", "-o", prefix])
                // Colour escapes out, so the report reads as plain lines.
                let raw = String(decoding: r?.stdout ?? Data(), as: UTF8.self)
                let text = raw.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
                let csv = (try? String(contentsOfFile: prefix + ".csv", encoding: .utf8)) ?? ""
                let rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").compactMap { Int($0) } }
                try? FileManager.default.removeItem(atPath: prefix + ".csv")
                try? FileManager.default.removeItem(atPath: prefix + ".html")
                report = Report(text: text, rows: rows)
                done.signal()
            }
        }

        func result() async -> Report {
            while done.wait(timeout: .now()) == .timedOut { try? await Task.sleep(for: .milliseconds(100)) }
            return report
        }
    }

    /// The normal client: GET every 50 ms for `seconds` on its own thread (not the test's
    /// cooperative pool, which the parallel suites keep busy); the failures and the slowest answer.
    static func probe(port: Int, path: String, seconds: Double) async -> (failures: [String], slowest: Double, count: Int) {
        final class Box: @unchecked Sendable {
            var failures: [String] = []
            var slowest = 0.0
            var count = 0
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                let start = Date()
                do {
                    let raw = try RawClient(port: port)
                    raw.send("GET \(path) HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
                    if let r = raw.readResponse(), r.head.hasPrefix("HTTP/1.1 200") {} else { box.failures.append("no 200") }
                } catch {
                    box.failures.append("\(error)")
                }
                box.slowest = max(box.slowest, Date().timeIntervalSince(start))
                box.count += 1
                Thread.sleep(forTimeInterval: 0.05)
            }
            done.signal()
        }
        while done.wait(timeout: .now()) == .timedOut { try? await Task.sleep(for: .milliseconds(100)) }
        return (box.failures, box.slowest, box.count)
    }

    @Test func slowlorisDoesNotDenyServiceAndIsShedAtTheHeaderTimeout() async throws {
        let s = try await TestServer(files: ["small.txt": Array("fine\n".utf8)]) { c in
            c.limits.headerReadTimeout = 2
        }
        defer { Task { await s.stop() } }
        // 400 connections, each sending one more header line every second and never ending its head.
        let attack = Attack(["-H", "-c", "400", "-r", "200", "-i", "1", "-l", "10", "-p", "2",
                             "-u", "http://127.0.0.1:\(s.port)/small.txt"])
        let probe = await Self.probe(port: s.port, path: "/small.txt", seconds: 6)
        let report = await attack.result()
        #expect(probe.count > 10 && probe.failures.isEmpty, "normal client: \(probe.count) requests, failures \(probe.failures.prefix(3)), slowest \(probe.slowest) s")
        // Loose on purpose (the suite runs other servers meanwhile): a denial shows as failures.
        #expect(probe.slowest < 3, "the normal client waited \(probe.slowest) s")
        #expect(!report.text.isEmpty && !report.unavailable, "slowhttptest's probe found the service unavailable:\n\(report.text.suffix(600))")
        #expect(report.maxConnected >= 300, "slowhttptest held at most \(report.maxConnected) connections")
        // The server closed the slowloris connections (408 at the header timeout) before the 10 s
        // run ended. Under the full suite's load slowhttptest has counted one of 400 as still
        // connected at the end, so 99 % is asked (the log of each run shows the count).
        let closed = report.rows.last.map { $0.count > 1 ? $0[1] : 0 } ?? 0
        #expect(report.allClosedBeforeTheEnd || closed >= 396, "closed \(closed) of 400: \(report.text.suffix(400))")
    }

    @Test func slowReadDoesNotDenyServiceAndIsResetAtTheSendTimeout() async throws {
        let s = try await TestServer(files: ["small.txt": Array("fine\n".utf8), "big.bin": Self.big]) { c in
            c.limits.idleTimeout = 2
        }
        defer { Task { await s.stop() } }
        // 200 connections with a 512–1024 byte receive window, reading 32 bytes every 5 s from
        // three pipelined 8 MB downloads each.
        let attack = Attack(["-X", "-c", "200", "-r", "200", "-w", "512", "-y", "1024", "-n", "5", "-z", "32", "-k", "3",
                             "-l", "10", "-p", "3", "-u", "http://127.0.0.1:\(s.port)/big.bin"])
        let probe = await Self.probe(port: s.port, path: "/small.txt", seconds: 7)
        // By now (7 s in; all connections were open after 1 s) each slow reader has gone 2 s
        // without progress and was reset: the server holds none of them.
        let client = try Client()
        let open = try? await ImageFlowTests.metric(client, s, "wharf_open_connections", "")
        try await client.shutdown()
        let report = await attack.result()
        #expect(probe.count > 10 && probe.failures.isEmpty, "normal client: \(probe.count) requests, failures \(probe.failures.prefix(3)), slowest \(probe.slowest) s")
        // Loose on purpose (the suite runs other servers meanwhile): a denial shows as failures.
        #expect(probe.slowest < 3, "the normal client waited \(probe.slowest) s")
        #expect(!report.text.isEmpty && !report.unavailable, "slowhttptest's probe found the service unavailable:\n\(report.text.suffix(600))")
        #expect(report.maxConnected >= 190, "slowhttptest held at most \(report.maxConnected) connections")
        // (The admin listener is not counted; a few are allowed for slowhttptest's probe.)
        #expect((open ?? .max) <= 5, "the server still holds \(open ?? -1) connections")
    }
}
