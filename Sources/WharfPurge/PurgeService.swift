import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Accepts purges, applies them locally, journals them durably and fans them out to every
/// configured provider with retries, exponential backoff and jitter.
///
/// Order of a purge: it is written to the journal (so the 202 is never lost), the origin's own
/// caches are invalidated and its catalog re-scanned (so the CDNs refetch the new bytes, not the
/// old), then each provider's worker may deliver it. A worker delivers its provider's purges one at
/// a time, oldest first; after a restart every pending delivery is picked up again.
public final class PurgeService: Sendable {
    /// Retry and retention settings (`purge.*` in `wharf.toml`).
    public struct Options: Sendable {
        /// Attempts per provider before a delivery fails for good.
        public var maxAttempts = 20
        /// Seconds after which a purge that still is not delivered fails for good.
        public var giveUpAfter = 24.0 * 3600
        /// First retry delay; doubled per attempt, with jitter (50–100 % of the value).
        public var retryBase = 1.0
        /// Longest retry delay.
        public var retryMax = 300.0
        /// Timeout of one request to a provider.
        public var requestTimeout = 30.0
        /// Timeout of connecting to a provider (a refused connection fails at once; an
        /// unanswered one after this).
        public var connectTimeout = 3.0
        /// Finished purges are kept this long for `GET /purge/{id}` and idempotency keys.
        public var retention = 7.0 * 24 * 3600
        /// Most served URLs remembered for URL-only providers (least recently seen dropped).
        public var maxServedURLs = 1_000_000
        /// Longest `?wait=` accepted.
        public var maxWait = 600.0
        public var limits = PurgeLimits()
        public init() {}
    }

    /// Counters the server turns into metrics.
    public struct Observer: Sendable {
        public var accepted: @Sendable () -> Void = {}
        /// A delivery attempt ended: provider, outcome (done, pending = will retry, failed), seconds.
        public var attempted: @Sendable (String, DeliveryState, Double) -> Void = { _, _, _ in }
        /// Deliveries per state after a change.
        public var backlog: @Sendable ([DeliveryState: Int]) -> Void = { _ in }
        public init() {}
    }

    public let journal: PurgeJournal
    public let providers: [any PurgeProvider]
    public let options: Options
    /// Non-nil when a provider purges by URL only: the server records what it answers.
    public let recorder: ServedRecorder?
    let http: HTTPClient
    let ownsHTTP: Bool
    let localEffect: @Sendable (PurgeRequest) async -> Void
    let observer: Observer
    let logger: Logger
    /// Purges accepted but whose local effect is not complete yet: id → accepted-at.
    private let settling = LockedBox<[String: Double]>([:])
    private let wakeups: [String: Notifier]
    /// Bumped whenever a delivery changes, for `?wait=`.
    private let changes = Notifier()
    private let stopped = LockedBox(false)

    /// - Parameters:
    ///   - localEffect: drops the origin's cached entries for the purge and re-scans the root;
    ///     deliveries of the purge wait until it returns.
    ///   - tags: the tags the origin gives a decoded path (for the served-URL record).
    public init(journal: PurgeJournal, providers: [any PurgeProvider], options: Options = Options(),
                http: HTTPClient? = nil, tags: @escaping @Sendable (String) -> [String],
                observer: Observer = Observer(), logger: Logger,
                localEffect: @escaping @Sendable (PurgeRequest) async -> Void) {
        self.journal = journal
        self.providers = providers
        self.options = options
        self.http = http ?? HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(timeout: .init(
                connect: .milliseconds(Int64(options.connectTimeout * 1000)),
                read: .milliseconds(Int64(options.requestTimeout * 1000)))))
        self.ownsHTTP = http == nil
        self.localEffect = localEffect
        self.observer = observer
        self.logger = logger
        self.recorder = providers.contains(where: \.needsServedURLs) ? ServedRecorder(tags: tags) : nil
        self.wakeups = Dictionary(uniqueKeysWithValues: providers.map { ($0.name, Notifier()) })
    }

    // MARK: - API

    /// What ``submit(_:idempotencyKey:)`` did.
    public struct Submitted: Sendable, Equatable {
        public let id: String
        /// False when an earlier purge with the same idempotency key was returned.
        public let created: Bool
    }

    /// Journals a purge, applies it locally and lets the workers deliver it.
    public func submit(_ request: PurgeRequest, idempotencyKey: String?) async throws(PurgeError) -> Submitted {
        // The URLs served so far go to the journal first: a purge that outlives the process (kill -9
        // before delivery) must still expand to them, and the writer only flushes every 250 ms.
        await flushServed()
        let now = Date().timeIntervalSince1970
        let inserted: PurgeJournal.Insert
        do {
            inserted = try await journal.insert(request, providers: providers.map(\.name), idempotencyKey: idempotencyKey, now: now)
        } catch {
            logger.error("purge journal write failed", metadata: ["error": "\(error)"])
            throw PurgeError(status: 503, "purge journal unavailable; retry")
        }
        let id: String
        switch inserted {
        case .existing(let existing):
            return Submitted(id: existing, created: false)
        case .conflict(let existing):
            throw PurgeError(status: 422, "Idempotency-Key was already used for a different purge (\(existing))")
        case .created(let new):
            id = new
        }
        settling.withLockedValue { $0[id] = now }
        observer.accepted()
        logger.info("purge accepted", metadata: ["id": "\(id)", "what": "\(request.summary)"])
        await localEffect(request)
        settling.withLockedValue { _ = $0.removeValue(forKey: id) }
        for w in wakeups.values { w.notify() }
        changes.notify()
        return Submitted(id: id, created: true)
    }

    /// A purge's state, or nil when unknown.
    public func status(_ id: String) async throws(PurgeError) -> PurgeStatus? {
        do {
            return try await journal.status(id)
        } catch {
            throw PurgeError(status: 503, "purge journal unavailable; retry")
        }
    }

    /// The purge's state once every provider finished, or when `seconds` ran out.
    public func wait(_ id: String, seconds: Double) async throws(PurgeError) -> PurgeStatus? {
        let deadline = Date().timeIntervalSince1970 + min(seconds, options.maxWait)
        while true {
            let seen = changes.current
            guard let status = try await status(id) else { return nil }
            let left = deadline - Date().timeIntervalSince1970
            if status.state != .pending || left <= 0 || stopped.withLockedValue({ $0 }) { return status }
            await changes.wait(after: seen, seconds: left)
        }
    }

    // MARK: - Workers

    /// Runs the delivery workers and the served-URL writer until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for provider in providers {
                group.addTask { await self.work(provider) }
            }
            group.addTask { await self.housekeeping() }
            await withTaskCancellationHandler {
                await group.waitForAll()
            } onCancel: {
                self.stop()
            }
        }
    }

    /// Stops the workers (their current attempt finishes) and releases the HTTP client.
    public func stop() {
        stopped.withLockedValue { $0 = true }
        for w in wakeups.values { w.notify() }
        changes.notify()
    }

    /// Shuts the HTTP client down if this service created it.
    public func shutdown() async {
        stop()
        if ownsHTTP { try? await http.shutdown() }
    }

    private var isStopped: Bool { stopped.withLockedValue { $0 } }

    /// Deliveries may go out for purges accepted before this time (their local effect is done).
    private var acceptedBy: Double {
        settling.withLockedValue { $0.values.min().map { $0 - 0.000_001 } } ?? .infinity
    }

    private func work(_ provider: any PurgeProvider) async {
        let wakeup = wakeups[provider.name]!
        let context = DeliveryContext(http: http, timeout: .milliseconds(Int64(options.requestTimeout * 1000))) {
            [journal] tags, prefixes, all in
            await self.flushServed()
            return try await journal.servedURLs(tags: tags, prefixes: prefixes, all: all)
        }
        while !isStopped {
            let seen = wakeup.current
            let now = Date().timeIntervalSince1970
            let due: [PurgeJournal.Due]
            do {
                due = try await journal.due(provider: provider.name, now: now, acceptedBy: acceptedBy, limit: 16)
            } catch {
                logger.error("purge journal read failed", metadata: ["provider": "\(provider.name)", "error": "\(error)"])
                await wakeup.wait(after: seen, seconds: 1)
                continue
            }
            if due.isEmpty {
                let next = (try? await journal.nextDue(provider: provider.name)) ?? nil
                let sleep = next.map { max(0.01, min($0 - Date().timeIntervalSince1970, 5)) } ?? 5
                await wakeup.wait(after: seen, seconds: sleep)
                continue
            }
            for d in due where !isStopped {
                if await attempt(d, provider: provider, context: context) == .pending { break }
            }
        }
    }

    /// One delivery attempt, recorded in the journal. Returns the delivery's new state.
    private func attempt(_ d: PurgeJournal.Due, provider: any PurgeProvider, context: DeliveryContext) async -> DeliveryState {
        let start = Date().timeIntervalSince1970
        let state: DeliveryState
        let detail: String
        var nextAt: Double?
        do {
            detail = try await provider.deliver(d.request, context: context)
            state = .done
        } catch {
            let now = Date().timeIntervalSince1970
            let attempts = d.attempts + 1
            if !error.retryable || attempts >= options.maxAttempts || now - d.createdAt >= options.giveUpAfter {
                state = .failed
                detail = error.message + (error.retryable ? " (gave up after \(attempts) attempt(s))" : "")
            } else {
                state = .pending
                detail = error.message
                var delay = Self.backoff(attempt: attempts, base: options.retryBase, max: options.retryMax)
                if let after = error.retryAfter { delay = max(delay, min(after, options.retryMax)) }
                nextAt = now + delay
            }
        }
        let end = Date().timeIntervalSince1970
        do {
            try await journal.finish(d, outcome: state, detail: detail, nextAt: nextAt, now: end)
        } catch {
            // The delivery stays pending and is attempted again: at least once.
            logger.error("purge journal write failed", metadata: ["id": "\(d.purgeID)", "error": "\(error)"])
        }
        observer.attempted(provider.name, state, end - start)
        let level: Logger.Level = state == .done ? .info : (state == .failed ? .error : .warning)
        logger.log(level: level, "purge delivery \(state.rawValue)", metadata: [
            "id": "\(d.purgeID)", "provider": "\(provider.name)", "attempt": "\(d.attempts + 1)", "detail": "\(detail)"])
        changes.notify()
        return state
    }

    /// Exponential backoff with jitter: base·2^(attempt−1), capped, times 0.5–1.
    static func backoff(attempt: Int, base: Double, max cap: Double) -> Double {
        let raw = min(cap, base * pow(2, Double(min(attempt - 1, 40))))
        return raw * Double.random(in: 0.5...1.0)
    }

    /// Writes served URLs every quarter second, prunes old purges hourly, refreshes the backlog gauge.
    private func housekeeping() async {
        var lastPrune = 0.0
        while !isStopped {
            await flushServed()
            let now = Date().timeIntervalSince1970
            if now - lastPrune > 3600 {
                lastPrune = now
                try? await journal.prune(finishedBefore: now - options.retention)
            }
            if let counts = try? await journal.deliveryCounts() { observer.backlog(counts) }
            let seen = changes.current
            await changes.wait(after: seen, seconds: 0.25)
        }
        await flushServed()
    }

    private func flushServed() async {
        guard let recorder else { return }
        let batch = recorder.drain()
        guard !batch.isEmpty else { return }
        do {
            try await journal.recordServed(batch, now: Date().timeIntervalSince1970, limit: options.maxServedURLs)
        } catch {
            logger.warning("could not record served URLs", metadata: ["error": "\(error)"])
        }
    }
}

/// A value behind a lock (NIOLockedValueBox without the NIO dependency in this file's API).
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLockedValue<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
