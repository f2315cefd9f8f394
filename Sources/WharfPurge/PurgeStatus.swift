/// Where a purge's delivery to one provider stands.
public enum DeliveryState: String, Codable, Sendable {
    /// Waiting for its (next) attempt.
    case pending
    /// The provider confirmed it.
    case done
    /// Given up after `purge.max_attempts` attempts or `purge.give_up_after`, or refused for good
    /// (a 4xx other than 408/429 from the provider).
    case failed
}

/// One provider's part of a purge, as `GET /purge/{id}` and `?wait=` report it.
public struct DeliveryStatus: Codable, Sendable, Equatable {
    public var provider: String
    public var state: DeliveryState
    public var attempts: Int
    /// The provider's last answer or error.
    public var detail: String?
    /// Unix time of the next attempt while pending.
    public var nextAttemptAt: Double?
    /// Unix time it became done or failed.
    public var finishedAt: Double?

    enum CodingKeys: String, CodingKey {
        case provider, state, attempts, detail
        case nextAttemptAt = "next_attempt_at"
        case finishedAt = "finished_at"
    }
}

/// A purge as stored in the journal, with its deliveries.
public struct PurgeStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Some provider still has to confirm.
        case pending
        /// Every provider confirmed (or none is configured).
        case done
        /// Nothing pending, and at least one provider failed for good.
        case failed
    }

    public var id: String
    public var state: State
    public var createdAt: Double
    public var request: PurgeRequest
    public var providers: [DeliveryStatus]

    enum CodingKeys: String, CodingKey {
        case id, state, request, providers
        case createdAt = "created_at"
    }

    static func overall(_ deliveries: [DeliveryStatus]) -> State {
        if deliveries.contains(where: { $0.state == .pending }) { return .pending }
        if deliveries.contains(where: { $0.state == .failed }) { return .failed }
        return .done
    }
}
