import Dispatch
import Synchronization

/// Holds a producer's ``ProducerStateMachine`` in a `Mutex` and carries out what it returns,
/// outside the lock: resuming waiting sends, waking the poller.
///
/// Three atomics spare the hot paths the lock; none carries a rule of its own:
/// - `accepting`, the machine's ``ProducerStateMachine/acceptsSends``, written under the lock
///   and read (sequentially consistent) by every send;
/// - `hasWaiters`, written under the lock: while it is false, serving a report takes no lock;
/// - `spaceEpoch`, moved each time queue space may have been freed. A waiting send reads it
///   before its last attempt and hands it to ``waitForQueueSpace(until:seenEpoch:)``, which
///   stores `hasWaiters` and then reads the epoch again (both sequentially consistent), while
///   ``queueSpaceFreed()`` moves the epoch and then reads `hasWaiters`: one of the two sees
///   the other, so no wake-up is lost between a failed send and its registration.
final class RDKafkaProducerLifecycle: Sendable {
    typealias QueueSpace = ProducerQueueSpace
    typealias Machine = ProducerStateMachine<CheckedContinuation<QueueSpace, Never>>

    private let machine = Mutex(Machine())
    private let accepting = Atomic<Bool>(true)
    private let hasWaiters = Atomic<Bool>(false)
    private let spaceEpoch = Atomic<UInt64>(0)
    private let wakePipe: RDKafkaWakePipe
    /// Entered when the poller starts, left when it stops (by the poller thread, which holds
    /// nothing else then).
    let pollerRunning = DispatchGroup()

    init(wakePipe: RDKafkaWakePipe) {
        self.wakePipe = wakePipe
    }

    @inline(__always)
    var acceptsSends: Bool { accepting.load(ordering: .sequentiallyConsistent) }

    /// Read before a send's attempt, so that a later wait knows what that attempt saw.
    var queueSpaceEpoch: UInt64 { spaceEpoch.load(ordering: .sequentiallyConsistent) }

    /// Makes the poller look again at its deadlines and at the state.
    func wakePoller() { wakePipe.wake() }

    private func publish(_ machine: borrowing Machine) {
        accepting.store(machine.acceptsSends, ordering: .sequentiallyConsistent)
        hasWaiters.store(machine.hasWaiters, ordering: .sequentiallyConsistent)
    }

    // MARK: Queue-full waiters

    /// Waits until queue space may have been freed since the attempt that read `seenEpoch`,
    /// until `deadline`, or until shutdown.
    func waitForQueueSpace(until deadline: DispatchTime, seenEpoch: UInt64) async -> QueueSpace {
        await withCheckedContinuation { continuation in
            let action = machine.withLock { machine in
                hasWaiters.store(true, ordering: .sequentiallyConsistent)
                let moved = spaceEpoch.load(ordering: .sequentiallyConsistent) != seenEpoch
                defer { publish(machine) }
                return machine.waitForQueueSpace(continuation, until: deadline, now: .now(), spaceFreedSinceFailure: moved)
            }
            switch action {
            case .resume(let waiter, let answer): waiter.resume(returning: answer)
            case .wakePoller: wakePoller()
            }
        }
    }

    /// Reports were served or the event buffer was read: waiting sends retry.
    func queueSpaceFreed() {
        spaceEpoch.wrappingAdd(1, ordering: .sequentiallyConsistent)
        guard hasWaiters.load(ordering: .sequentiallyConsistent) else { return }
        let waiters = machine.withLock { machine in
            defer { publish(machine) }
            return machine.queueSpaceFreed()
        }
        for waiter in waiters { waiter.resume(returning: .retry) }
    }

    func resumeExpiredWaiters() {
        guard hasWaiters.load(ordering: .acquiring) else { return }
        let waiters = machine.withLock { machine in
            defer { publish(machine) }
            return machine.deadlinesPassed(now: .now())
        }
        for waiter in waiters { waiter.resume(returning: .deadlinePassed) }
    }

    /// How long the poller may sleep: until the nearest waiter's deadline, at most a second;
    /// 100 ms once shutting down.
    func pollTimeoutMilliseconds() -> Int32 {
        guard acceptsSends else { return 100 }
        guard hasWaiters.load(ordering: .acquiring) else { return 1000 }
        guard let nearest = machine.withLock({ $0.nearestDeadline }) else { return 1000 }
        let now = DispatchTime.now()
        if nearest <= now { return 0 }
        return Int32(min(1000, (nearest.uptimeNanoseconds - now.uptimeNanoseconds) / 1_000_000 + 1))
    }

    // MARK: Shutdown

    /// Starts shutting down: `true` if this call is the one that must flush (then call
    /// ``flushFinished(allDelivered:)``); `false` if another has, or the producer is stopped.
    func beginShutdown() -> Bool {
        let action = machine.withLock { machine in
            defer { publish(machine) }
            return machine.beginShutdown()
        }
        switch action {
        case .flush(let waiters):
            for waiter in waiters { waiter.resume(returning: .shutDown) }
            wakePoller()
            return true
        case .waitForStop:
            return false
        }
    }

    /// The flush has returned: `true` if what is left must be purged. Wakes the poller to drain.
    func flushFinished(allDelivered: Bool) -> Bool {
        let action = machine.withLock { machine in
            defer { publish(machine) }
            return machine.flushFinished(allDelivered: allDelivered)
        }
        wakePoller()
        return action == .drain(purge: true)
    }

    enum PollerAction {
        case keepServing
        case purgeAndLookAgain
        case stop
    }

    func pollerServedAll(sendsInProgress: Int, outstanding: Int) -> PollerAction {
        let action = machine.withLock { machine in
            defer { publish(machine) }
            return machine.pollerServedAll(sendsInProgress: sendsInProgress, outstanding: outstanding)
        }
        switch action {
        case .keepServing:
            return .keepServing
        case .purgeAndLookAgain:
            return .purgeAndLookAgain
        case .stop(let waiters):
            for waiter in waiters { waiter.resume(returning: .shutDown) }
            return .stop
        }
    }

    /// Blocks until the poller has stopped (at once if it never started).
    func waitForPollerToStop() { pollerRunning.wait() }
}
