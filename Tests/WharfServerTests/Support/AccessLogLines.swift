import Foundation

/// One line of the JSON access log, as the tests read it.
struct LoggedRequest: Decodable, Equatable {
    let uri: String
    let status: String
    let userAgent: String
    let encoding: String
    let type: String
    let version: String

    enum CodingKeys: String, CodingKey {
        case uri, status, encoding, type, version
        case userAgent = "user_agent"
    }

    /// The lines written to `log` so far, waited for until `enough` holds (the log is written by a
    /// background thread) or 5 s have passed.
    static func read(_ log: URL, until enough: ([LoggedRequest]) -> Bool) async throws -> [LoggedRequest] {
        var lines: [LoggedRequest] = []
        for _ in 0..<50 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n").compactMap { try? JSONDecoder().decode(LoggedRequest.self, from: Data($0.utf8)) }
            if enough(lines) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return lines
    }
}
