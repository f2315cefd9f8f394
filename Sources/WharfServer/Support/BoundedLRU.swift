/// A map bounded by a byte budget, least recently used out first. Not thread-safe: callers
/// keep it inside their lock (the caches around it also hold in-flight work under that lock).
struct BoundedLRU<Key: Hashable, Value> {
    fileprivate struct Entry {
        let value: Value
        let size: Int
        var lastUse: UInt64
    }

    private var entries: [Key: Entry] = [:]
    private(set) var bytes = 0
    private var clock: UInt64 = 0
    let budget: Int

    init(budget: Int) {
        self.budget = budget
    }

    /// The value, marked as just used.
    mutating func get(_ key: Key) -> Value? {
        guard var e = entries[key] else { return nil }
        clock &+= 1
        e.lastUse = clock
        entries[key] = e
        return e.value
    }

    /// Stores `value` charged `size` bytes. Over the budget, the least recently used entries go
    /// down to 90 % of it in one pass, so eviction costs O(log n) per insert on average, not O(n).
    /// A value larger than the whole budget is not stored.
    mutating func set(_ key: Key, _ value: Value, size: Int) {
        guard size <= budget else { return }
        clock &+= 1
        if let old = entries[key] { bytes -= old.size }
        entries[key] = Entry(value: value, size: size, lastUse: clock)
        bytes += size
        guard bytes > budget else { return }
        for (victim, e) in entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
            guard bytes > budget - budget / 10 else { break }
            entries[victim] = nil
            bytes -= e.size
        }
    }

    /// Removes every entry whose key `predicate` accepts; returns their keys.
    @discardableResult
    mutating func removeAll(where predicate: (Key) -> Bool) -> [Key] {
        let victims = entries.keys.filter(predicate)
        for k in victims {
            bytes -= entries[k]!.size
            entries[k] = nil
        }
        return victims
    }
}

extension BoundedLRU: Sendable where Key: Sendable, Value: Sendable {}
extension BoundedLRU.Entry: Sendable where Key: Sendable, Value: Sendable {}
