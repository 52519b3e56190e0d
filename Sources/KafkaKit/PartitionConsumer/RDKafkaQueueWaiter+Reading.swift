import Dispatch

extension RDKafkaQueueWaiter {
    /// Calls `take` — a non-blocking take from the queue that returns `true` once the read is
    /// done — until it is, suspending (without a thread) while the queue is empty.
    ///
    /// `beforeFirstWait` runs once, just before the first suspension: a check worth a round
    /// trip only when nothing is there to read. Returns `nil` when `take` finished, else why the
    /// waiting ended (``RDKafkaQueueWake/timedOut`` after one last take).
    func read(
        until deadline: DispatchTime,
        beforeFirstWait: () async throws -> Void = {},
        take: () throws -> Bool
    ) async throws -> RDKafkaQueueWake? {
        var checked = false
        while true {
            let seen = generation
            if try take() { return nil }
            guard DispatchTime.now() < deadline else { return .timedOut }
            if !checked {
                checked = true
                try await beforeFirstWait()
                continue
            }
            switch await wait(after: seen, until: deadline) {
            case .ready:
                continue
            case .timedOut:
                return try take() ? nil : .timedOut
            case let wake:
                return wake
            }
        }
    }
}
