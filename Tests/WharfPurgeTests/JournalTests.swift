import Foundation
import Testing
@testable import WharfPurge

func tempDirectory() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-purge-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct JournalTests {
    @Test func insertIsDurableAcrossReopen() async throws {
        let dir = tempDirectory()
        let request = PurgeRequest(urls: ["/a.css"], tags: ["build.1"], soft: true)
        var id = ""
        do {
            let j = try PurgeJournal(directory: dir)
            guard case .created(let new) = try await j.insert(request, providers: ["varnish", "nginx"], idempotencyKey: nil, now: 100)
            else { Issue.record("not created"); return }
            id = new
        }
        // A new process opening the same file sees the purge and both pending deliveries.
        let j = try PurgeJournal(directory: dir)
        let status = try #require(try await j.status(id))
        #expect(status.request == request)
        #expect(status.state == .pending)
        #expect(status.providers.map(\.provider) == ["nginx", "varnish"])
        #expect(status.providers.allSatisfy { $0.state == .pending && $0.attempts == 0 })
        let due = try await j.due(provider: "varnish", now: 100, acceptedBy: .infinity, limit: 10)
        #expect(due.map(\.purgeID) == [id])
    }

    @Test func idempotencyKey() async throws {
        let j = try PurgeJournal(directory: tempDirectory())
        let r = PurgeRequest(tags: ["a"])
        guard case .created(let id) = try await j.insert(r, providers: ["p"], idempotencyKey: "deploy-7", now: 1) else {
            Issue.record("not created"); return
        }
        #expect(try await j.insert(r, providers: ["p"], idempotencyKey: "deploy-7", now: 2) == .existing(id))
        #expect(try await j.insert(PurgeRequest(tags: ["b"]), providers: ["p"], idempotencyKey: "deploy-7", now: 3) == .conflict(id))
        if case .created = try await j.insert(r, providers: ["p"], idempotencyKey: nil, now: 4) {} else { Issue.record("keyless insert") }
    }

    @Test func dueRespectsTimeOrderAndTheLocalEffectWatermark() async throws {
        let j = try PurgeJournal(directory: tempDirectory())
        guard case .created(let a) = try await j.insert(PurgeRequest(tags: ["a"]), providers: ["p", "q"], idempotencyKey: nil, now: 10),
              case .created(let b) = try await j.insert(PurgeRequest(tags: ["b"]), providers: ["p"], idempotencyKey: nil, now: 20)
        else { Issue.record("insert"); return }
        #expect(try await j.due(provider: "p", now: 30, acceptedBy: .infinity, limit: 10).map(\.purgeID) == [a, b])
        // b's local effect is still running: only a may go out.
        #expect(try await j.due(provider: "p", now: 30, acceptedBy: 15, limit: 10).map(\.purgeID) == [a])
        let first = try await j.due(provider: "p", now: 30, acceptedBy: .infinity, limit: 1)[0]
        try await j.finish(first, outcome: .pending, detail: "HTTP 503", nextAt: 100, now: 30)
        #expect(try await j.due(provider: "p", now: 30, acceptedBy: .infinity, limit: 10).map(\.purgeID) == [b])
        #expect(try await j.nextDue(provider: "p") == 20)
        #expect(try await j.due(provider: "p", now: 100, acceptedBy: .infinity, limit: 10).map(\.purgeID) == [a, b])
        try await j.finish(first, outcome: .done, detail: "ok", nextAt: nil, now: 101)
        let s = try #require(try await j.status(a))
        #expect(s.state == .pending) // q has not delivered
        let p = try #require(s.providers.first { $0.provider == "p" })
        #expect(p.state == .done && p.attempts == 2 && p.detail == "ok" && p.finishedAt == 101 && p.nextAttemptAt == nil)
        let q = try await j.due(provider: "q", now: 100, acceptedBy: .infinity, limit: 10)[0]
        try await j.finish(q, outcome: .failed, detail: "HTTP 403", nextAt: nil, now: 102)
        #expect(try await j.status(a)?.state == .failed)
        #expect(try await j.deliveryCounts() == [.done: 1, .failed: 1, .pending: 1])
    }

    @Test func pruneKeepsPendingPurges() async throws {
        let j = try PurgeJournal(directory: tempDirectory())
        guard case .created(let done) = try await j.insert(PurgeRequest(tags: ["a"]), providers: ["p"], idempotencyKey: nil, now: 1),
              case .created(let pending) = try await j.insert(PurgeRequest(tags: ["b"]), providers: ["p"], idempotencyKey: nil, now: 2)
        else { Issue.record("insert"); return }
        let d = try await j.due(provider: "p", now: 5, acceptedBy: .infinity, limit: 1)[0]
        try await j.finish(d, outcome: .done, detail: nil, nextAt: nil, now: 5)
        try await j.prune(finishedBefore: 10)
        #expect(try await j.status(done) == nil)
        #expect(try await j.status(pending) != nil)
    }

    @Test func servedURLsExpandTagsPrefixesAndAll() async throws {
        let j = try PurgeJournal(directory: tempDirectory())
        try await j.recordServed([
            .init(uri: "/img/a.jpg", path: "/img/a.jpg", tags: ["/img/a.jpg", "/img/", "/"]),
            .init(uri: "/img/a.jpg?w=300&fm=auto", path: "/img/a.jpg", tags: ["/img/a.jpg", "/img/", "/"]),
            .init(uri: "/img/caf%C3%A9.jpg", path: "/img/café.jpg", tags: ["h.x", "/img/", "/"]),
            .init(uri: "/css/site.css", path: "/css/site.css", tags: ["/css/site.css", "/css/", "/"]),
        ], now: 1, limit: 100)
        #expect(try await j.servedURLs(tags: ["/img/a.jpg"], prefixes: [], all: false) == ["/img/a.jpg", "/img/a.jpg?w=300&fm=auto"])
        #expect(try await j.servedURLs(tags: [], prefixes: ["/img/c"], all: false) == ["/img/caf%C3%A9.jpg"])
        #expect(try await j.servedURLs(tags: ["/css/"], prefixes: ["/img/a"], all: false).count == 3)
        #expect(try await j.servedURLs(tags: [], prefixes: [], all: true).count == 4)
        // Over the bound, the least recently seen go first.
        try await j.recordServed([.init(uri: "/new", path: "/new", tags: ["/new", "/"])], now: 2, limit: 2)
        let left = try await j.servedURLs(tags: [], prefixes: [], all: true)
        #expect(left.count == 2 && left.contains("/new"))
        #expect(try await j.servedURLs(tags: ["/"], prefixes: [], all: false).count == 2) // tag rows went with their URLs
    }
}
