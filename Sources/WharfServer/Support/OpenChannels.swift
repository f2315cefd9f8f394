import NIOConcurrencyHelpers
import NIOCore

/// The public listener's open connections, so that shutdown can close the ones still open when
/// `limits.shutdown_grace` runs out while their event loops still run. Left to the event-loop
/// group's own shutdown, their closing would notify the quiescing helper on a loop already stopped.
/// Touched once per connection (open and close), never per request.
final class OpenChannels: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLockedValue { $0.removeValue(forKey: id) }
        }
    }

    var count: Int { channels.withLockedValue { $0.count } }

    /// Closes every connection still open and waits until they are closed.
    func closeAll() async {
        let open = channels.withLockedValue { Array($0.values) }
        for channel in open {
            channel.close(promise: nil)
        }
        for channel in open {
            try? await channel.closeFuture.get()
        }
    }
}
