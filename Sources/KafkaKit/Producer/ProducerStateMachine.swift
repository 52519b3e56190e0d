import Dispatch

/// A producer's lifecycle and its queue-full waiters: every rule of when a producer takes
/// sends, when its poller may leave and what a waiting send is told, in one value.
///
/// `RDKafkaProducerCore` keeps it in a `Mutex`. Each mutating method returns what to do, and
/// the core does it after unlocking: resume continuations, wake the poller, purge. The send
/// path never takes the lock — it reads the core's atomic copy of ``acceptsSends``, written
/// under the lock whenever the state changes.
///
/// ```
/// running ──shutdown──▶ flushing ──flush returned──▶ draining ──librdkafka holds nothing──▶ stopped
/// ```
/// - `running`: sends are taken; a send that finds librdkafka's queue full may wait here,
///   until space may have been freed (`retry`), its deadline (`deadlinePassed`), or shutdown.
/// - `flushing`: shutdown has begun. New sends are refused and every waiter is told
///   `shutDown` at once; the poller serves reports while shutdown flushes.
/// - `draining`: the flush returned (or timed out, and what was left is purged); the poller
///   serves what remains and purges anything a send racing shutdown still queued.
/// - `stopped`: the poller has left; the event sequence ends after what it buffers.
///
/// Generic over the waiter so that its tests need neither continuations nor a broker.
struct ProducerStateMachine<Waiter> {
    typealias QueueSpace = ProducerQueueSpace

    enum State: Equatable {
        case running
        case flushing
        case draining
        case stopped
    }

    private(set) var state: State = .running
    private var waiters: [Int: (deadline: DispatchTime, waiter: Waiter)] = [:]
    private var nextToken = 0

    /// Whether sends are taken (the send path reads an atomic copy).
    var acceptsSends: Bool { state == .running }

    var hasWaiters: Bool { !waiters.isEmpty }

    /// The nearest deadline of a waiting send: the poller must look again by then.
    var nearestDeadline: DispatchTime? { waiters.values.lazy.map(\.deadline).min() }

    // MARK: Queue-full waiters

    enum WaitAction {
        /// Resume the waiter at once with this answer.
        case resume(Waiter, QueueSpace)
        /// The waiter is kept: wake the poller so that it takes the new deadline into account.
        case wakePoller
    }

    /// A send found the queue full and wants to wait until `deadline`.
    /// `spaceFreedSinceFailure` says whether space may have been freed after that send's
    /// failed attempt (the core's epoch moved): then there is nothing to wait for.
    mutating func waitForQueueSpace(
        _ waiter: Waiter, until deadline: DispatchTime, now: DispatchTime, spaceFreedSinceFailure: Bool
    ) -> WaitAction {
        guard state == .running else { return .resume(waiter, .shutDown) }
        if spaceFreedSinceFailure { return .resume(waiter, .retry) }
        if deadline <= now { return .resume(waiter, .deadlinePassed) }
        nextToken &+= 1
        waiters[nextToken] = (deadline, waiter)
        return .wakePoller
    }

    /// Reports were served or events read, so the queue may have room: every waiter retries.
    mutating func queueSpaceFreed() -> [Waiter] {
        takeWaiters { _ in true }
    }

    /// The waiters whose deadline has passed, to resume with `deadlinePassed`.
    mutating func deadlinesPassed(now: DispatchTime) -> [Waiter] {
        takeWaiters { $0 <= now }
    }

    private mutating func takeWaiters(where passes: (DispatchTime) -> Bool) -> [Waiter] {
        guard !waiters.isEmpty else { return [] }
        var taken: [Waiter] = []
        for (token, entry) in waiters where passes(entry.deadline) {
            taken.append(entry.waiter)
            waiters[token] = nil
        }
        return taken
    }

    // MARK: Shutdown

    enum ShutdownAction {
        /// This call runs the shutdown: resume these waiters with `shutDown`, flush, then
        /// report ``flushFinished(allDelivered:)``.
        case flush(resumingWithShutDown: [Waiter])
        /// Another call runs it (or it is done): wait until the poller has stopped.
        case waitForStop
    }

    mutating func beginShutdown() -> ShutdownAction {
        guard state == .running else { return .waitForStop }
        state = .flushing
        let waiting = waiters.values.map(\.waiter)
        waiters = [:]
        return .flush(resumingWithShutDown: waiting)
    }

    enum FlushFinishedAction: Equatable {
        /// Purge what is left if `purge`, then wake the poller to drain.
        case drain(purge: Bool)
        case none
    }

    mutating func flushFinished(allDelivered: Bool) -> FlushFinishedAction {
        guard state == .flushing else { return .none }
        state = .draining
        return .drain(purge: !allDelivered)
    }

    enum PollerAction {
        /// Serve as usual.
        case keepServing
        /// A send that raced shutdown queued a message after the flush: purge it (it gets a
        /// report), and look again soon.
        case purgeAndLookAgain
        /// Leave: nothing is left to serve. Resume these waiters with `shutDown` (none are
        /// expected — waiters are refused after `running` — but no path may strand one),
        /// then end the event sequence.
        case stop(resumingWithShutDown: [Waiter])
    }

    /// The poller has served every pending event. `sendsInProgress` counts sends between
    /// their look at ``acceptsSends`` and librdkafka's answer; `outstanding` is librdkafka's
    /// count of messages without a served report. Both are read after this state's change was
    /// published, so a send that saw `running` is counted in one or the other.
    mutating func pollerServedAll(sendsInProgress: Int, outstanding: Int) -> PollerAction {
        switch state {
        case .running, .flushing:
            return .keepServing
        case .draining:
            guard sendsInProgress == 0, outstanding == 0 else { return .purgeAndLookAgain }
            state = .stopped
            let waiting = waiters.values.map(\.waiter)
            waiters = [:]
            return .stop(resumingWithShutDown: waiting)
        case .stopped:
            return .stop(resumingWithShutDown: [])
        }
    }
}

/// What a send waiting for queue space is told.
enum ProducerQueueSpace: Equatable, Sendable {
    /// Reports were served (or events read) since its send failed: try again.
    case retry
    /// Its deadline has passed.
    case deadlinePassed
    /// The producer is shutting down: the send fails with `destroyed`.
    case shutDown
}
