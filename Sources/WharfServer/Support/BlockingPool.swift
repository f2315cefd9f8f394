import Atomics
import NIOCore
import NIOPosix

/// A bounded pool for blocking work (compression, file reads under TLS): a fixed number of
/// threads and a cap on queued jobs, past which work is refused at once so that requests get
/// 503 + Retry-After instead of piling up.
final class BlockingPool: Sendable {
    struct Overloaded: Error {}

    let threadPool: NIOThreadPool
    private let pending = ManagedAtomic<Int>(0)
    let queueLimit: Int

    init(threads: Int, queueLimit: Int) {
        self.threadPool = NIOThreadPool(numberOfThreads: threads)
        self.queueLimit = queueLimit
        threadPool.start()
    }

    /// Runs `work` on the pool; the future completes on `eventLoop`.
    func submit<T: Sendable>(on eventLoop: any EventLoop, _ work: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        let before = pending.loadThenWrappingIncrement(ordering: .relaxed)
        if before >= queueLimit {
            pending.wrappingDecrement(ordering: .relaxed)
            return eventLoop.makeFailedFuture(Overloaded())
        }
        let counter = pending
        return threadPool.runIfActive(eventLoop: eventLoop) {
            defer { counter.wrappingDecrement(ordering: .relaxed) }
            return try work()
        }
    }

    func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }
}
