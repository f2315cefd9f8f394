import NIOCore

/// Timeouts of one HTTP/1.1 connection. Idle: waiting for the first byte of the next request
/// (closed quietly after `idleTimeout`). Head: bytes of a request arrived but not its whole
/// head yet (408 after `headerReadTimeout`: the slowloris defence). Busy: a request is being
/// answered; no timer.
final class ConnectionClock {
    enum Phase { case idle, head, busy }

    private(set) var phase: Phase = .idle
    private var task: Scheduled<Void>?
    let idleTimeout: TimeAmount
    let headerReadTimeout: TimeAmount
    /// Called on the event loop when a timer fires, with the phase it fired in.
    var onTimeout: ((Phase) -> Void)?

    init(idleTimeout: TimeAmount, headerReadTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.headerReadTimeout = headerReadTimeout
    }

    func enterIdle(_ loop: any EventLoop) { set(.idle, after: idleTimeout, loop) }
    func bytesArrived(_ loop: any EventLoop) { if phase == .idle { set(.head, after: headerReadTimeout, loop) } }
    func headComplete() {
        task?.cancel()
        task = nil
        phase = .busy
    }

    func cancel() {
        task?.cancel()
        task = nil
    }

    private func set(_ p: Phase, after delay: TimeAmount, _ loop: any EventLoop) {
        task?.cancel()
        phase = p
        task = loop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: delay) { [weak self] in
            guard let self, self.phase == p else { return }
            self.onTimeout?(p)
        }
    }
}

/// Sits in front of the HTTP/1 decoder and tells the clock when request bytes arrive.
final class ReadWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let clock: ConnectionClock

    init(clock: ConnectionClock) { self.clock = clock }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        clock.bytesArrived(context.eventLoop)
        context.fireChannelRead(data)
    }
}
