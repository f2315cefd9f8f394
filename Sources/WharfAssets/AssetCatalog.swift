import Foundation
import Logging
import NIOConcurrencyHelpers

/// The live catalog: an initial scan, then a background thread that re-scans every
/// `revalidateInterval` and publishes a new snapshot when files changed, were added or removed.
///
/// Staleness is bounded by the interval plus the time to hash the changed files. The current
/// snapshot is read under a lock that only guards a reference, so readers never wait on a scan.
public final class AssetCatalog: @unchecked Sendable {
    private let scanner: CatalogScanner
    private let logger: Logger
    private let current: NIOLockedValueBox<CatalogSnapshot>
    private let listeners = NIOLockedValueBox<[@Sendable (CatalogSnapshot) -> Void]>([])
    private let stopped = NIOLockedValueBox(false)
    private var thread: Thread?
    private let wake = NSCondition()
    private let scanLock = NIOLock()

    /// Scans the root once (blocking); throws when the root is missing or unreadable.
    public init(options: CatalogOptions, logger: Logger) throws(AssetError) {
        self.scanner = CatalogScanner(options: options, logger: logger)
        self.logger = logger
        guard let first = try scanner.scan() else { throw AssetError("initial scan produced nothing") }
        self.current = NIOLockedValueBox(first)
    }

    public var snapshot: CatalogSnapshot { current.withLockedValue { $0 } }

    /// Calls `listener` (on the scanner thread) with every new snapshot.
    public func onUpdate(_ listener: @escaping @Sendable (CatalogSnapshot) -> Void) {
        listeners.withLockedValue { $0.append(listener) }
    }

    /// Starts the background re-scan loop.
    public func startWatching() {
        let interval = scanner.options.revalidateInterval
        let thread = Thread { [self] in
            while !stopped.withLockedValue({ $0 }) {
                wake.lock()
                _ = wake.wait(until: Date(timeIntervalSinceNow: interval))
                wake.unlock()
                if stopped.withLockedValue({ $0 }) { break }
                rescan()
            }
        }
        thread.name = "wharf-catalog"
        self.thread = thread
        thread.start()
    }

    /// Asks the watcher thread to re-scan now rather than at the end of its interval. Calls made
    /// while a scan is pending coalesce into one, so callers on hot paths may call it freely.
    public func requestRescan() {
        wake.lock()
        wake.signal()
        wake.unlock()
    }

    /// Re-scans now, on the calling thread (used by the watcher, by purges and by tests); files
    /// whose URL path `rehash` accepts are hashed again whatever their `stat` says. Returns once
    /// the new snapshot (if any) has been handed to every listener.
    public func rescan(rehash: (String) -> Bool = { _ in false }) {
        scanLock.withLock { rescanLocked(rehash: rehash) }
    }

    private func rescanLocked(rehash: (String) -> Bool) {
        do {
            if let next = try scanner.scan(rehash: rehash) {
                current.withLockedValue { $0 = next }
                logger.info("catalog updated", metadata: ["generation": "\(next.generation)", "assets": "\(next.assets.count)"])
                for l in listeners.withLockedValue({ $0 }) { l(next) }
            }
        } catch {
            logger.error("catalog scan failed; keeping the previous snapshot", metadata: ["error": "\(error)"])
        }
    }

    public func stop() {
        stopped.withLockedValue { $0 = true }
        wake.lock()
        wake.signal()
        wake.unlock()
    }
}
