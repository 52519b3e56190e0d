import Dispatch
import KafkaKit
import Synchronization

/// Delivery outcomes counted by `kafka produce`'s event handler, and a wait for a number of
/// them with an optional bound.
final class DeliveryCounts: Sendable {
    private struct State {
        var delivered = 0
        var failed = 0
        var firstError: KafkaError?
        var waiter: (target: Int, id: Int, continuation: CheckedContinuation<Bool, Never>)?
        var nextWaiterID = 0
    }
    private let state = Mutex(State())

    func add(_ reports: [KafkaDeliveryReport]) {
        let done = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            for report in reports {
                if report.isDelivered { s.delivered += 1 } else {
                    s.failed += 1
                    if s.firstError == nil { s.firstError = report.error }
                }
            }
            guard let waiter = s.waiter, s.delivered + s.failed >= waiter.target else { return nil }
            s.waiter = nil
            return waiter.continuation
        }
        done?.resume(returning: true)
    }

    /// Waits until `target` outcomes were counted (`true`), or `timeout` passed (`false`).
    @discardableResult
    func waitFor(_ target: Int, timeout: Duration? = nil) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = state.withLock { s -> Int? in
                if s.delivered + s.failed >= target { return nil }
                s.nextWaiterID += 1
                s.waiter = (target, s.nextWaiterID, continuation)
                return s.nextWaiterID
            }
            guard let id else { return continuation.resume(returning: true) }
            guard let timeout else { return }
            let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: nanoseconds))) { [self] in
                let expired = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                    guard let waiter = s.waiter, waiter.id == id else { return nil }
                    s.waiter = nil
                    return waiter.continuation
                }
                expired?.resume(returning: false)
            }
        }
    }

    var delivered: Int { state.withLock { $0.delivered } }
    var failed: Int { state.withLock { $0.failed } }
    var outcomes: Int { state.withLock { $0.delivered + $0.failed } }
    var firstError: KafkaError? { state.withLock { $0.firstError } }
}
