import Foundation
import Testing
@testable import WharfServer

/// Oversized and abusive requests (issue #7): each gets its 4xx at once, and a normal request
/// on a new connection right after is answered — the server neither crashes nor stalls.
@Suite struct AbuseTests {
    static let body = [UInt8](repeating: 0x41, count: 100_000)

    static let cases: [(name: String, request: String, status: String)] = [
        // Ranges adding up to more than the file get it once, whole (nginx, Go): no amplification.
        ("5,000 overlapping ranges", "GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=" + Array(repeating: "0-", count: 5000).joined(separator: ",")
            + "\r\n\r\n", "200"),
        ("17 overlapping ranges", "GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=" + Array(repeating: "0-99999", count: 17).joined(separator: ",")
            + "\r\n\r\n", "200"),
        ("17 small ranges (limits.max_ranges is 16)", "GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes="
            + (0..<17).map { "\($0 * 2)-\($0 * 2)" }.joined(separator: ",") + "\r\n\r\n", "416"),
        ("ranges beyond 64 bits", "GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999999999999999999-1\r\n\r\n", "200"),
        ("a negative-looking range", "GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=--5\r\n\r\n", "200"),
        ("a 100 KB query string", "GET /f.bin?" + String(repeating: "q", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "431"),
        ("a 8 KB query string", "GET /f.bin?" + String(repeating: "q", count: 8200) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
        ("4,000 path segments", "GET " + String(repeating: "/a", count: 4000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "404"),
        ("4,000 dot-dot segments", "GET " + String(repeating: "/..", count: 2700) + "/f.bin HTTP/1.1\r\nHost: x\r\n\r\n", "400"),
        ("1,000 header fields", "GET /f.bin HTTP/1.1\r\nHost: x\r\n" + (0..<1000).map { "X-\($0): v\r\n" }.joined() + "\r\n", "431"),
        ("a 20 KB header line", "GET /f.bin HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 20_000) + "\r\n\r\n", "431"),
        ("a 1 MB header block", "GET /f.bin HTTP/1.1\r\nHost: x\r\n" + (0..<100).map { "X-\($0): " + String(repeating: "c", count: 10_000) + "\r\n" }.joined()
            + "\r\n", "431"),
        ("a 200-entry Accept-Encoding", "GET /f.bin HTTP/1.1\r\nHost: x\r\nAccept-Encoding: " + (0..<200).map { "x\($0);q=0.\($0 % 10)" }
            .joined(separator: ", ") + "\r\n\r\n", "200"),
        ("a 500-tag If-None-Match", "GET /f.bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + (0..<500).map { "\"t\($0)\"" }.joined(separator: ", ")
            + "\r\n\r\n", "200"),
    ]

    @Test(arguments: Self.cases.indices)
    func abusiveRequestsGetTheirStatusAndTheServerStaysUp(_ index: Int) async throws {
        let (name, request, status) = Self.cases[index]
        let s = try await TestServer(files: ["f.bin": Self.body])
        defer { Task { await s.stop() } }
        let raw = try RawClient(port: s.port)
        let start = Date()
        raw.send(request)
        let answer = raw.readResponse()
        #expect(answer?.head.hasPrefix("HTTP/1.1 \(status)") == true, "\(name): \(answer?.head.prefix(200) ?? "no answer")")
        #expect(Date().timeIntervalSince(start) < 3, "\(name) took \(Date().timeIntervalSince(start)) s")
        let next = try RawClient(port: s.port)
        next.send("GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n")
        let ok = next.readResponse()
        #expect(ok?.head.hasPrefix("HTTP/1.1 206") == true && ok?.body == Array(Self.body.prefix(10)), "after \(name)")
    }
}
