import NIOConcurrencyHelpers
import NIOCore

/// At most `limit` transforms in progress per client address (`images.max_per_client`), so one
/// client cannot take the whole transform queue from everyone else; beyond, 429 + Retry-After.
///
/// Behind a CDN every request comes from a few edge or shield addresses: raise the limit to the
/// transforms one edge may have in flight, or set 0 to turn it off. Only work that occupies the
/// pool counts (a variant served from memory is never limited).
final class ClientTransformLimit: Sendable {
    let limit: Int
    private let inProgress = NIOLockedValueBox([String: Int]())

    init(limit: Int) {
        self.limit = limit
    }

    /// The key for `address`: the IP without the port ("-" when unknown: Unix sockets, tests).
    static func key(_ address: SocketAddress?) -> String {
        address?.ipAddress ?? "-"
    }

    /// Takes a slot for `key`; false when the client already has `limit` in progress.
    func acquire(_ key: String) -> Bool {
        guard limit > 0 else { return true }
        return inProgress.withLockedValue { counts in
            let n = counts[key, default: 0]
            guard n < limit else { return false }
            counts[key] = n + 1
            return true
        }
    }

    func release(_ key: String) {
        guard limit > 0 else { return }
        inProgress.withLockedValue { counts in
            let n = counts[key, default: 0] - 1
            counts[key] = n > 0 ? n : nil
        }
    }
}
