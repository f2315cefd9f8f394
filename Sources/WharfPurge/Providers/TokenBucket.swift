import Foundation

/// Paces calls to a rate-limited API: up to `burst` calls at once, then `rate` calls per second.
///
/// The CDN APIs count requests in token buckets of their own; keeping under their refill rate
/// avoids 429s (and, at Cloudflare, a blocked account for a while). One bucket is shared by all
/// of a provider's calls, whichever delivery they belong to. A taker reserves its token at once
/// (the count may go below zero) and sleeps until the token would have refilled, so concurrent
/// takers are served in the order they arrived, without a queue.
public final class TokenBucket: @unchecked Sendable {
    /// Tokens added per second.
    public let rate: Double
    /// Most tokens held (and so the largest burst).
    public let burst: Double
    private let lock = NSLock()
    private var tokens: Double
    private var last: Double?
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    /// A full bucket of `burst` tokens (at least one) refilled at `ratePerSecond`.
    public init(ratePerSecond: Double, burst: Double) {
        precondition(ratePerSecond > 0, "rate must be positive")
        rate = ratePerSecond
        self.burst = max(1, burst)
        tokens = self.burst
        start = clock.now
    }

    /// Waits until a token is available and takes it. A cancelled waiter returns early (its token
    /// stays taken).
    public func take() async {
        let wait = reserve(now: elapsed())
        if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
    }

    /// Takes a token at `now` (seconds on any monotonic timeline) and returns how long the taker
    /// must wait for it.
    func reserve(now: Double) -> Double {
        lock.withLock {
            if let last { tokens = min(burst, tokens + max(0, now - last) * rate) }
            last = now
            tokens -= 1
            return tokens >= 0 ? 0 : -tokens / rate
        }
    }

    private func elapsed() -> Double {
        let d = clock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
