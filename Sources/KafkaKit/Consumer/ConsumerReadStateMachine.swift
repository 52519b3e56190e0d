/// The rules of a group consumer's read side, in one place: who may take records from
/// librdkafka, where the records an iterator did not hand out go, who waits, and what closing
/// does. A value type with no side effects: the consumer core calls it under its `Mutex` and
/// carries out the returned action outside the lock (resuming continuations, storing offsets,
/// calling librdkafka).
///
/// - Records taken from librdkafka belong to the consumer, not to one iterator. The iterator
///   that holds the *turn* reads a leased batch lock-free; when it is dropped mid-batch
///   (`break`), the rest of the batch is *held* here and the next iterator continues with it.
/// - Only the turn holder takes from librdkafka, so offsets are stored in the order records
///   were handed out. Other iterators wait for the turn in FIFO order; the holder passes it on
///   at each batch boundary, so two concurrent loops share the stream batch by batch.
/// - The turn holder waits for data (librdkafka's queue was empty, or the event buffer is full)
///   as the one *data waiter*; a signal that arrives while nobody waits is kept for the next.
/// - Closing ends every waiter and returns the leases whose handed-out records are to be
///   stored before librdkafka's close commits them.
///
/// Generic over the lease and the waiter so it is tested without librdkafka or tasks.
struct ConsumerReadStateMachine<Lease: AnyObject, Waiter> {
    typealias ReaderID = UInt64

    enum Lifecycle: Equatable {
        case reading
        case closing
        case closed
    }

    private enum Turn {
        case free
        /// `lease` is the batch the holder is reading, if it has one.
        case taken(by: ReaderID, lease: Lease?)
    }

    private(set) var lifecycle = Lifecycle.reading
    private var turn = Turn.free
    /// The rest of a batch whose iterator went away; the next turn holder continues with it.
    private var held: Lease?
    private var turnWaiters: [(id: ReaderID, waiter: Waiter)] = []
    private var dataWaiter: (id: ReaderID, waiter: Waiter)?
    private var dataSignaled = false
    /// The turn holder is inside a take from librdkafka: `rd_kafka_consumer_close` must not
    /// start meanwhile (a concurrent take could swallow the op close waits for).
    private var taking = false
    /// Close waits for the take under way to end.
    private var closeWaitsForTake = false

    init() {}

    // MARK: Taking the turn

    enum AcquireAction {
        /// The consumer is closing or closed: the sequence ends.
        case finished
        /// Continue with this batch (left by an earlier iterator); its handed-out prefix was
        /// moved past, so store it first.
        case resume(Lease)
        /// Take a batch from librdkafka.
        case take
        /// Another iterator holds the turn: wait for it with ``enqueueForTurn(_:waiter:)``.
        case mustWait
    }

    mutating func acquire(_ id: ReaderID) -> AcquireAction {
        guard lifecycle == .reading else { return .finished }
        switch turn {
        case .free:
            break
        case .taken(let holder, let lease):
            guard holder == id else { return .mustWait }
            precondition(lease == nil, "a reader asked for the turn while reading a lease")
        }
        if let held {
            self.held = nil
            turn = .taken(by: id, lease: held)
            return .resume(held)
        }
        turn = .taken(by: id, lease: nil)
        taking = true
        return .take
    }

    enum EnqueueAction {
        /// Suspend: the waiter is resumed when the turn is granted or the consumer closes.
        case queued
        /// Things changed since ``acquire(_:)``: resume the waiter now and acquire again.
        case retry
    }

    mutating func enqueueForTurn(_ id: ReaderID, waiter: Waiter) -> EnqueueAction {
        guard lifecycle == .reading else { return .retry }
        switch turn {
        case .free:
            return .retry
        case .taken(let holder, _):
            if holder == id { return .retry }
        }
        turnWaiters.append((id, waiter))
        return .queued
    }

    /// The turn holder took `lease` from librdkafka. `false` if the consumer began closing
    /// meanwhile: the lease is not handed out (its records stay uncommitted).
    mutating func took(_ id: ReaderID, lease: Lease) -> Bool {
        guard lifecycle == .reading, case .taken(let holder, nil) = turn, holder == id else { return false }
        turn = .taken(by: id, lease: lease)
        return true
    }

    /// The take from librdkafka that ``acquire(_:)`` allowed has returned (with records or
    /// without). `true`: a close waits for it — signal it.
    mutating func takeEnded() -> Bool {
        taking = false
        defer { closeWaitsForTake = false }
        return closeWaitsForTake
    }

    struct FinishAction {
        /// The finished lease: every record of it was handed out and moved past; store them.
        var store: Lease?
        /// The next iterator in line, now holding the turn: resume it.
        var grant: Waiter?
    }

    /// The holder handed out its whole lease and asks for more: the lease is done, and the
    /// turn passes to the next waiting iterator, if any.
    mutating func finishLease(_ id: ReaderID) -> FinishAction {
        guard case .taken(let holder, let lease?) = turn, holder == id else { return FinishAction() }
        let store = lifecycle == .reading ? lease : nil
        guard !turnWaiters.isEmpty else {
            turn = .taken(by: id, lease: nil)
            return FinishAction(store: store)
        }
        let next = turnWaiters.removeFirst()
        turn = .taken(by: next.id, lease: nil)
        return FinishAction(store: store, grant: next.waiter)
    }

    /// The iterator is gone (dropped, or its task cancelled): its lease, if any, is held for
    /// the next iterator, and the turn passes on. Returns the waiter now holding the turn.
    mutating func readerLeft(_ id: ReaderID) -> Waiter? {
        turnWaiters.removeAll { $0.id == id }
        if dataWaiter?.id == id { dataWaiter = nil }
        guard case .taken(let holder, let lease) = turn, holder == id else { return nil }
        if let lease, lifecycle == .reading { held = lease }
        guard lifecycle == .reading, !turnWaiters.isEmpty else {
            turn = .free
            return nil
        }
        let next = turnWaiters.removeFirst()
        turn = .taken(by: next.id, lease: nil)
        return next.waiter
    }

    /// A waiting task was cancelled: its waiter, to resume, if it still waited.
    mutating func cancelWait(_ id: ReaderID) -> Waiter? {
        if let index = turnWaiters.firstIndex(where: { $0.id == id }) {
            return turnWaiters.remove(at: index).waiter
        }
        if let waiting = dataWaiter, waiting.id == id {
            dataWaiter = nil
            return waiting.waiter
        }
        return nil
    }

    // MARK: Waiting for data

    enum DataWaitAction {
        case queued
        /// Data (or buffer space) was signalled since the last look: take again now.
        case retry
        case finished
    }

    /// The turn holder found nothing to take and waits to be signalled.
    mutating func waitForData(_ id: ReaderID, waiter: Waiter) -> DataWaitAction {
        guard lifecycle == .reading else { return .finished }
        if dataSignaled {
            dataSignaled = false
            return .retry
        }
        precondition(dataWaiter == nil, "two readers waited for data")
        dataWaiter = (id, waiter)
        return .queued
    }

    /// librdkafka's queue became non-empty, or the event buffer has room again.
    mutating func signalData() -> Waiter? {
        guard let waiting = dataWaiter else {
            dataSignaled = true
            return nil
        }
        dataWaiter = nil
        return waiting.waiter
    }

    /// Whether the turn holder is suspended waiting for data: the application is, in
    /// librdkafka's terms, polling.
    var isWaitingForData: Bool { dataWaiter != nil }

    /// The lease being read, for progress checks.
    var currentLease: Lease? {
        if case .taken(_, let lease) = turn { return lease }
        return nil
    }

    // MARK: Offsets and closing

    /// The leases whose handed-out records an explicit commit (or close) stores first.
    var outstandingLeases: [Lease] {
        var leases: [Lease] = []
        if let held { leases.append(held) }
        if case .taken(_, let lease?) = turn { leases.append(lease) }
        return leases
    }

    struct CloseAction {
        /// Resume each with "finished".
        var waiters: [Waiter] = []
        /// Store what was handed out of these, then close librdkafka's consumer. The current
        /// lease comes last; truncate it first so its reader hands out nothing more.
        var store: [Lease] = []
        /// The lease being read when close began.
        var current: Lease?
        /// Another close is already under way (or done): wait for it instead.
        var alreadyClosing = false
        /// A take is under way: wait for its ``takeEnded()`` before closing librdkafka's consumer.
        var waitForTake = false
    }

    mutating func close() -> CloseAction {
        guard lifecycle == .reading else { return CloseAction(alreadyClosing: true) }
        lifecycle = .closing
        var action = CloseAction()
        action.waiters = turnWaiters.map(\.waiter)
        turnWaiters.removeAll()
        if let waiting = dataWaiter { action.waiters.append(waiting.waiter) }
        dataWaiter = nil
        action.store = outstandingLeases
        action.current = currentLease
        held = nil
        action.waitForTake = taking
        closeWaitsForTake = taking
        return action
    }

    mutating func closed() {
        lifecycle = .closed
    }
}
