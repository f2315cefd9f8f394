import Foundation
import GRDB

/// The durable purge journal and outbox, in SQLite (WAL) under the state directory.
///
/// A purge is one row in `purge` plus one `delivery` row per configured provider, written in one
/// transaction before the API answers 202: after that it survives `kill -9`, a restart and a
/// power loss (`synchronous = FULL`). The worker takes due deliveries from the outbox and marks
/// them done, retried later, or failed. `served` records which URLs the origin has answered under
/// which tags, for providers that purge by URL only (nginx).
public final class PurgeJournal: Sendable {
    let db: DatabasePool
    public let path: String

    /// Opens (creating) `directory/purge.sqlite`.
    public init(directory: String, durable: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("purge.sqlite")
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // WAL is DatabasePool's mode; FULL makes each commit reach the disk before it returns.
            try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        }
        db = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE purge (
                    id TEXT PRIMARY KEY NOT NULL,
                    created_at REAL NOT NULL,
                    request TEXT NOT NULL,
                    idempotency_key TEXT UNIQUE
                );
                CREATE TABLE delivery (
                    purge_id TEXT NOT NULL REFERENCES purge(id) ON DELETE CASCADE,
                    provider TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_at REAL NOT NULL,
                    detail TEXT,
                    finished_at REAL,
                    PRIMARY KEY (purge_id, provider)
                );
                CREATE INDEX delivery_due ON delivery(provider, state, next_at);
                CREATE TABLE served (
                    uri TEXT PRIMARY KEY NOT NULL,
                    path TEXT NOT NULL,
                    seen_at REAL NOT NULL
                );
                CREATE INDEX served_path ON served(path);
                CREATE INDEX served_seen ON served(seen_at);
                CREATE TABLE served_tag (
                    tag TEXT NOT NULL,
                    uri TEXT NOT NULL REFERENCES served(uri) ON DELETE CASCADE,
                    PRIMARY KEY (tag, uri)
                ) WITHOUT ROWID;
                CREATE INDEX served_tag_uri ON served_tag(uri);
                """)
        }
        return m
    }

    // MARK: - Purges

    /// What ``insert(_:providers:idempotencyKey:now:)`` did.
    public enum Insert: Sendable, Equatable {
        case created(String)
        /// The idempotency key was used before with the same request: that purge's id.
        case existing(String)
        /// The idempotency key was used before with a different request.
        case conflict(String)
    }

    /// Stores a purge and its deliveries (due at once) in one durable transaction.
    public func insert(_ request: PurgeRequest, providers: [String], idempotencyKey: String?, now: Double) async throws -> Insert {
        let json = String(decoding: try JSONEncoder.sorted.encode(request), as: UTF8.self)
        return try await db.write { db in
            if let key = idempotencyKey,
               let row = try Row.fetchOne(db, sql: "SELECT id, request FROM purge WHERE idempotency_key = ?", arguments: [key]) {
                let id: String = row["id"]
                let stored: String = row["request"]
                return stored == json ? .existing(id) : .conflict(id)
            }
            let id = Self.newID()
            try db.execute(sql: "INSERT INTO purge (id, created_at, request, idempotency_key) VALUES (?, ?, ?, ?)",
                           arguments: [id, now, json, idempotencyKey])
            for provider in providers {
                try db.execute(sql: "INSERT INTO delivery (purge_id, provider, state, next_at) VALUES (?, ?, 'pending', ?)",
                               arguments: [id, provider, now])
            }
            return .created(id)
        }
    }

    /// A purge and its deliveries, or nil when unknown.
    public func status(_ id: String) async throws -> PurgeStatus? {
        try await db.read { db in try Self.status(db, id) }
    }

    static func status(_ db: Database, _ id: String) throws -> PurgeStatus? {
        guard let row = try Row.fetchOne(db, sql: "SELECT created_at, request FROM purge WHERE id = ?", arguments: [id]) else {
            return nil
        }
        let requestJSON: String = row["request"]
        let request = try JSONDecoder().decode(PurgeRequest.self, from: Data(requestJSON.utf8))
        let deliveries = try Row.fetchAll(db, sql: """
            SELECT provider, state, attempts, next_at, detail, finished_at FROM delivery WHERE purge_id = ? ORDER BY provider
            """, arguments: [id]).map { r -> DeliveryStatus in
            let state = DeliveryState(rawValue: r["state"]) ?? .pending
            return DeliveryStatus(provider: r["provider"], state: state, attempts: r["attempts"], detail: r["detail"],
                                  nextAttemptAt: state == .pending ? r["next_at"] : nil, finishedAt: r["finished_at"])
        }
        return PurgeStatus(id: id, state: PurgeStatus.overall(deliveries), createdAt: row["created_at"], request: request,
                           providers: deliveries)
    }

    /// A delivery the worker should attempt now.
    public struct Due: Sendable, Equatable {
        public let purgeID: String
        public let provider: String
        public let attempts: Int
        public let createdAt: Double
        public let request: PurgeRequest
    }

    /// Pending deliveries of `provider` due by `now` whose purge was accepted at or before
    /// `acceptedBy` (its local effect is complete), oldest first.
    public func due(provider: String, now: Double, acceptedBy: Double, limit: Int) async throws -> [Due] {
        try await db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.purge_id, d.attempts, p.created_at, p.request FROM delivery d JOIN purge p ON p.id = d.purge_id
                WHERE d.provider = ? AND d.state = 'pending' AND d.next_at <= ? AND p.created_at <= ?
                ORDER BY p.created_at, p.id LIMIT ?
                """, arguments: [provider, now, acceptedBy, limit]).map { r in
                let json: String = r["request"]
                return Due(purgeID: r["purge_id"], provider: provider, attempts: r["attempts"], createdAt: r["created_at"],
                           request: try JSONDecoder().decode(PurgeRequest.self, from: Data(json.utf8)))
            }
        }
    }

    /// When the next pending delivery of `provider` falls due (nil: none pending).
    public func nextDue(provider: String) async throws -> Double? {
        try await db.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_at) FROM delivery WHERE provider = ? AND state = 'pending'",
                                arguments: [provider])
        }
    }

    /// Records an attempt's outcome: done, retry at `nextAt`, or failed for good.
    public func finish(_ due: Due, outcome: DeliveryState, detail: String?, nextAt: Double?, now: Double) async throws {
        try await db.write { db in
            try db.execute(sql: """
                UPDATE delivery SET state = ?, attempts = attempts + 1, detail = ?, next_at = COALESCE(?, next_at),
                    finished_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END
                WHERE purge_id = ? AND provider = ?
                """, arguments: [outcome.rawValue, detail, nextAt, outcome.rawValue, now, due.purgeID, due.provider])
        }
    }

    /// Number of deliveries per state, for metrics.
    public func deliveryCounts() async throws -> [DeliveryState: Int] {
        try await db.read { db in
            var out: [DeliveryState: Int] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM delivery GROUP BY state") {
                if let s = DeliveryState(rawValue: r["state"]) { out[s] = r["n"] }
            }
            return out
        }
    }

    /// Deletes finished purges older than `before` (pending ones are kept whatever their age).
    public func prune(finishedBefore before: Double) async throws {
        try await db.write { db in
            try db.execute(sql: """
                DELETE FROM purge WHERE created_at < ? AND NOT EXISTS (
                    SELECT 1 FROM delivery d WHERE d.purge_id = purge.id AND d.state = 'pending')
                """, arguments: [before])
        }
    }

    // MARK: - Served URLs

    /// One URL the origin answered, with the tags its response carried.
    public struct Served: Sendable, Equatable {
        public let uri: String
        public let path: String
        public let tags: [String]
        public init(uri: String, path: String, tags: [String]) {
            self.uri = uri
            self.path = path
            self.tags = tags
        }
    }

    /// Records (or refreshes) served URLs and their tags; keeps at most `limit` URLs, dropping the
    /// ones not seen for longest.
    public func recordServed(_ batch: [Served], now: Double, limit: Int) async throws {
        guard !batch.isEmpty else { return }
        try await db.write { db in
            for s in batch {
                try db.execute(sql: """
                    INSERT INTO served (uri, path, seen_at) VALUES (?, ?, ?)
                    ON CONFLICT(uri) DO UPDATE SET seen_at = excluded.seen_at, path = excluded.path
                    """, arguments: [s.uri, s.path, now])
                for tag in s.tags {
                    try db.execute(sql: "INSERT OR IGNORE INTO served_tag (tag, uri) VALUES (?, ?)", arguments: [tag, s.uri])
                }
            }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM served") ?? 0
            if count > limit {
                try db.execute(sql: "DELETE FROM served WHERE uri IN (SELECT uri FROM served ORDER BY seen_at LIMIT ?)",
                               arguments: [count - limit])
            }
        }
    }

    /// The served URLs (origin-form targets) that tags, decoded path prefixes or `all` cover.
    public func servedURLs(tags: [String], prefixes: [String], all: Bool) async throws -> [String] {
        try await db.read { db in
            if all { return try String.fetchAll(db, sql: "SELECT uri FROM served ORDER BY uri") }
            var out = Set<String>()
            for tag in tags {
                out.formUnion(try String.fetchAll(db, sql: "SELECT uri FROM served_tag WHERE tag = ?", arguments: [tag]))
            }
            for prefix in prefixes {
                // Paths are stored decoded; a range scan on the index is a prefix match.
                out.formUnion(try String.fetchAll(db, sql: "SELECT uri FROM served WHERE path >= ? AND path < ?",
                                                  arguments: [prefix, prefix + "\u{10FFFF}"]))
            }
            return out.sorted()
        }
    }

    static func newID() -> String {
        var rng = SystemRandomNumberGenerator()
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        let time = String(millis, radix: 16)
        let random = String(rng.next() & 0xFFFF_FFFF_FFFF, radix: 16)
        return "p" + time + "-" + String(repeating: "0", count: max(0, 12 - random.count)) + random
    }
}

extension JSONEncoder {
    /// Sorted keys: the stored form of a request is canonical, so idempotency checks compare text.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
