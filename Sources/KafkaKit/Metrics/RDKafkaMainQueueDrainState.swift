/// When a main-queue drain is scheduled: at most one at a time, and a wake-up that comes while
/// one runs makes it look again before it ends, so that nothing queued is left unserved.
struct RDKafkaMainQueueDrainState: Sendable {
    private enum Phase { case idle, draining, drainingWithNewEvents }
    private var phase = Phase.idle

    enum SignalAction: Equatable { case scheduleDrain, none }
    enum DrainedAction: Equatable { case drainAgain, done }

    /// The queue became non-empty.
    mutating func signal() -> SignalAction {
        switch phase {
        case .idle:
            phase = .draining
            return .scheduleDrain
        case .draining, .drainingWithNewEvents:
            phase = .drainingWithNewEvents
            return .none
        }
    }

    /// A drain found the queue empty.
    mutating func drained() -> DrainedAction {
        switch phase {
        case .drainingWithNewEvents:
            phase = .draining
            return .drainAgain
        case .draining, .idle:
            phase = .idle
            return .done
        }
    }
}
