import Foundation
import Logging
import Testing
@testable import WharfPurge

@Suite struct ServedRecordTests {
    /// A URL answered just before a purge is accepted is in the journal with it, not only in the
    /// recorder's queue (written every 250 ms): a `kill -9` right after the 202 must not leave the
    /// restarted origin expanding the purge without it (found as an EdgeTests flake).
    @Test func urlsServedBeforeAPurgeAreJournaledWithIt() async throws {
        let dir = tempDirectory()
        let service = PurgeService(
            journal: try PurgeJournal(directory: dir),
            providers: [NginxProvider(name: "nginx", endpoints: ["http://127.0.0.1:9"], secret: "s")],
            tags: { path in [path, "/"] }, logger: Logger(label: "test"), localEffect: { _ in })
        let recorder = try #require(service.recorder)
        recorder.record(uri: "/css/site.css?v=2", path: "/css/site.css")
        // The service's workers never run here, so nothing else writes the queue.
        _ = try await service.submit(PurgeRequest(tags: ["/css/site.css"]), idempotencyKey: nil)
        await service.shutdown()
        let reopened = try PurgeJournal(directory: dir)
        #expect(try await reopened.servedURLs(tags: ["/css/site.css"], prefixes: [], all: false) == ["/css/site.css?v=2"])
    }
}
