import Foundation

/// Wakes tasks waiting for "something changed", with a timeout. A waiter passes the version it
/// last saw, so a change between its check and its wait is never missed.
final class Notifier: @unchecked Sendable {
    private let lock = NSLock()
    private var version: UInt64 = 0
    private var nextID: UInt64 = 0
    private var waiters: [UInt64: (CheckedContinuation<Void, Never>, Task<Void, Never>?)] = [:]

    var current: UInt64 { lock.withLock { version } }

    /// Bumps the version and resumes every waiter.
    func notify() {
        let resumed: [(CheckedContinuation<Void, Never>, Task<Void, Never>?)] = lock.withLock {
            version &+= 1
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for (c, timer) in resumed {
            timer?.cancel()
            c.resume()
        }
    }

    /// Returns once the version is past `seen`, or after `seconds`.
    func wait(after seen: UInt64, seconds: Double) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if version != seen || seconds <= 0 {
                lock.unlock()
                c.resume()
                return
            }
            nextID &+= 1
            let id = nextID
            waiters[id] = (c, nil)
            lock.unlock()
            let timer = Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(min(seconds, 86_400) * 1e9))
                self?.expire(id)
            }
            lock.withLock {
                if waiters[id] != nil { waiters[id]?.1 = timer } else { timer.cancel() }
            }
        }
    }

    private func expire(_ id: UInt64) {
        guard let (c, _) = lock.withLock({ waiters.removeValue(forKey: id) }) else { return }
        c.resume()
    }
}
