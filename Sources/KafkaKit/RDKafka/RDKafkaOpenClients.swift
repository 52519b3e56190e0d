import Dispatch
import Synchronization

/// The bookkeeping of ``KafkaOpenClients``: how many librdkafka handles exist, and who waits
/// for none to be left.
///
/// A value type behind the census's mutex; each transition returns the waiters to wake once
/// the lock is released.
struct RDKafkaOpenClientsState<Waiter> {
    /// Handles created and not yet destroyed.
    private(set) var open = 0
    private var waiters: [(id: Int, waiter: Waiter)] = []
    private var nextID = 0

    /// A handle was created.
    mutating func opened() { open += 1 }

    /// A handle was destroyed: the waiters to wake, if it was the last.
    mutating func destroyed() -> [Waiter] {
        precondition(open > 0, "a librdkafka handle destroyed that was never counted")
        open -= 1
        guard open == 0 else { return [] }
        defer { waiters = [] }
        return waiters.map(\.waiter)
    }

    /// `nil` when no handle is open (nothing to wait for); otherwise the waiter's ticket.
    mutating func wait(_ waiter: Waiter) -> Int? {
        guard open > 0 else { return nil }
        nextID += 1
        waiters.append((nextID, waiter))
        return nextID
    }

    /// The wait of `ticket` ended by its timeout: it is no longer woken.
    mutating func waitEnded(_ ticket: Int) {
        waiters.removeAll { $0.id == ticket }
    }
}

/// Every librdkafka handle KafkaKit created and has not destroyed yet, for a program that
/// must know, before it exits, that none is left.
///
/// A handle is destroyed once its last KafkaKit object (client, message, queue) is released;
/// the destroy runs on a KafkaKit thread. Exiting while one is open is not safe: the process's
/// exit handlers (OpenSSL's among them) run while librdkafka's threads still work, which has
/// crashed the `kafka` command in a TLS handshake. A handle still open at exit means a
/// reference was kept past its use — a reference cycle, say.
package enum KafkaOpenClients {
    private static let state = Mutex(RDKafkaOpenClientsState<DispatchSemaphore>())

    /// Handles created and not destroyed yet.
    package static var count: Int { state.withLock { $0.open } }

    static func opened() { state.withLock { $0.opened() } }

    static func destroyed() {
        for waiter in state.withLock({ $0.destroyed() }) { waiter.signal() }
    }

    /// Waits until every handle is destroyed, or `timeout`: the number still open (0 when
    /// all are). Blocks the calling thread; never call it on a KafkaKit thread.
    package static func waitUntilAllDestroyed(timeout: Duration) -> Int {
        let semaphore = DispatchSemaphore(value: 0)
        guard let ticket = state.withLock({ $0.wait(semaphore) }) else { return 0 }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        if semaphore.wait(timeout: .now() + .nanoseconds(Int(max(0, nanoseconds)))) == .timedOut {
            state.withLock { $0.waitEnded(ticket) }
        }
        return count
    }
}
