import Foundation

/// Remembers which URLs the origin has answered, for providers that can purge only by URL
/// (nginx): `record` is called per response on the event loop and only queues URLs not seen
/// since the last reset; ``PurgeService`` writes the queue, with each URL's tags, to the journal.
public final class ServedRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = Set<String>()
    private var queued: [(uri: String, path: String)] = []
    /// Distinct URLs remembered in memory before the set starts over (the journal keeps them).
    let maxSeen: Int
    /// The tags a response for a decoded path carries.
    let tags: @Sendable (String) -> [String]

    public init(maxSeen: Int = 200_000, tags: @escaping @Sendable (String) -> [String]) {
        self.maxSeen = maxSeen
        self.tags = tags
    }

    /// Notes that `uri` (the request-target as received) was answered for the decoded `path`.
    public func record(uri: String, path: String) {
        lock.lock()
        defer { lock.unlock() }
        guard !seen.contains(uri) else { return }
        if seen.count >= maxSeen { seen.removeAll(keepingCapacity: true) }
        seen.insert(uri)
        queued.append((uri, path))
    }

    /// Takes the queued URLs with their tags.
    func drain() -> [PurgeJournal.Served] {
        let batch: [(uri: String, path: String)] = lock.withLock {
            defer { queued.removeAll() }
            return queued
        }
        return batch.map { PurgeJournal.Served(uri: $0.uri, path: $0.path, tags: tags($0.path)) }
    }
}
