import NIOCore
import NIOPosix

/// Timeouts of one HTTP/1.1 connection. Idle: waiting for the first byte of the next request
/// (closed quietly after `idleTimeout`). Head: bytes of a request arrived but not its whole
/// head yet (408 after `headerReadTimeout`: the slowloris defence). (No request body is ever
/// read over HTTP/1.1: see `HTTP1Handler`.) Sending: responses wait
/// for the client to read them (closed after `idleTimeout` without progress). Busy: a request is
/// being answered; no deadline.
///
/// A phase change only stores a deadline: scheduling and cancelling a NIO timer per request
/// showed up as the largest cost of a static hit. The event loop's ``DeadlineSweeper`` checks
/// the deadlines a few times per `headerReadTimeout` instead.
final class ConnectionClock {
    enum Phase { case idle, head, busy, sending }

    private(set) var phase: Phase = .idle
    private(set) var deadline: NIODeadline = .distantFuture
    let idleTimeout: TimeAmount
    let headerReadTimeout: TimeAmount
    /// Called on the event loop when a deadline passes, with the phase it passed in.
    var onTimeout: ((Phase) -> Void)?
    private var sweeper: DeadlineSweeper?

    init(idleTimeout: TimeAmount, headerReadTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.headerReadTimeout = headerReadTimeout
    }

    /// Starts being checked by the sweeper of the calling event loop.
    func attach(_ loop: any EventLoop) {
        let s = DeadlineSweeper.current(loop, interval: min(idleTimeout, headerReadTimeout))
        s.add(self)
        sweeper = s
    }

    func detach() {
        sweeper?.remove(self)
        sweeper = nil
        onTimeout = nil
    }

    func enterIdle() {
        phase = .idle
        deadline = Self.coarse(sweeper) + idleTimeout
    }

    func bytesArrived() {
        if phase == .idle {
            phase = .head
            deadline = Self.coarse(sweeper) + headerReadTimeout
        }
    }

    /// The sweeper's clock, read at its last sweep, plus one sweep interval: no clock read per
    /// request, and a deadline never fires early (at most two intervals late).
    @inline(__always)
    private static func coarse(_ sweeper: DeadlineSweeper?) -> NIODeadline {
        guard let sweeper else { return .now() }
        return sweeper.now + sweeper.interval
    }

    /// Output is waiting for the client to read it: it must make progress within the idle
    /// timeout (nginx's send_timeout). Kept if already armed, so a stalled client is not renewed.
    func sending() {
        guard phase != .sending else { return }
        phase = .sending
        deadline = Self.coarse(sweeper) + idleTimeout
    }

    func headComplete() {
        phase = .busy
        deadline = .distantFuture
    }

    func cancel() {
        deadline = .distantFuture
    }

    fileprivate func check(_ now: NIODeadline) {
        guard deadline <= now else { return }
        deadline = .distantFuture
        onTimeout?(phase)
    }
}

/// One per event-loop thread: a repeating task that fires the connection deadlines that passed.
/// Checks run every quarter of the shortest timeout (10 ms to 1 s), so a timeout fires at most
/// that much late.
final class DeadlineSweeper {
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<DeadlineSweeper>()

    private var clocks: [ObjectIdentifier: ConnectionClock] = [:]
    private var task: RepeatedTask?
    private let loop: any EventLoop
    let interval: TimeAmount
    /// The time of the last sweep (refreshed when the first connection attaches).
    private(set) var now = NIODeadline.now()

    private init(loop: any EventLoop, interval: TimeAmount) {
        self.loop = loop
        self.interval = interval
    }

    static func current(_ loop: any EventLoop, interval: TimeAmount) -> DeadlineSweeper {
        if let s = perThread.currentValue { return s }
        let step = TimeAmount.nanoseconds(min(max(interval.nanoseconds / 4, 10_000_000), 1_000_000_000))
        let s = DeadlineSweeper(loop: loop, interval: step)
        perThread.currentValue = s
        return s
    }

    func add(_ clock: ConnectionClock) {
        clocks[ObjectIdentifier(clock)] = clock
        if task == nil {
            now = .now()
            let bound = NIOLoopBound(self, eventLoop: loop)
            task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                bound.value.sweep()
            }
        }
    }

    func remove(_ clock: ConnectionClock) {
        clocks[ObjectIdentifier(clock)] = nil
        if clocks.isEmpty {
            task?.cancel()
            task = nil
        }
    }

    private func sweep() {
        now = .now()
        for clock in Array(clocks.values) { clock.check(now) }
    }
}
