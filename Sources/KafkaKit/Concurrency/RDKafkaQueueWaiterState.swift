/// Why a wait for a librdkafka queue ended.
enum RDKafkaQueueWake: Equatable, Sendable {
    /// The queue became non-empty (or did since the reader last looked): look again.
    case ready
    /// The deadline passed.
    case timedOut
    /// The waiting task was cancelled.
    case cancelled
    /// The queue is no longer read this way (its partition was stopped).
    case closed
}

/// The readers waiting for one librdkafka queue, as a value type behind the waiter's mutex.
///
/// A reader notes ``generation``, takes from the queue without blocking, and only if that found
/// nothing asks to ``wait(id:after:isCancelled:_:)``. Every wake-up from librdkafka bumps the
/// generation, so one that came between the reader's look and its wait is not lost: the wait
/// returns ``RDKafkaQueueWake/ready`` at once. Each waiter is resumed exactly once: by a
/// wake-up, its deadline, its cancellation, or the close — whichever removes it first.
struct RDKafkaQueueWaiterState<Waiter> {
    enum WaitAction {
        /// Registered: wait to be resumed.
        case suspend
        /// Not registered: resume now with this.
        case resume(RDKafkaQueueWake)
    }

    /// Bumped by every wake-up.
    private(set) var generation: UInt64 = 0
    private(set) var isClosed = false
    private var waiters: [UInt64: Waiter] = [:]
    private var lastID: UInt64 = 0

    /// How many readers are waiting.
    var waiting: Int { waiters.count }

    /// An identity for a wait, taken before it registers (its cancellation handler needs it).
    mutating func makeID() -> UInt64 {
        lastID += 1
        return lastID
    }

    /// A reader that saw `seen` before finding the queue empty asks to wait.
    mutating func wait(id: UInt64, after seen: UInt64, isCancelled: Bool, _ waiter: Waiter) -> WaitAction {
        if isClosed { return .resume(.closed) }
        if generation != seen { return .resume(.ready) }
        if isCancelled { return .resume(.cancelled) }
        waiters[id] = waiter
        return .suspend
    }

    /// The queue became non-empty: every waiter is to be resumed with ``RDKafkaQueueWake/ready``.
    mutating func signal() -> [Waiter] {
        generation &+= 1
        defer { waiters.removeAll() }
        return Array(waiters.values)
    }

    /// The wait's deadline passed: the waiter to resume with ``RDKafkaQueueWake/timedOut``, if
    /// nothing resumed it before.
    mutating func expire(id: UInt64) -> Waiter? { waiters.removeValue(forKey: id) }

    /// The waiting task was cancelled: the waiter to resume with
    /// ``RDKafkaQueueWake/cancelled``, if nothing resumed it before.
    mutating func cancel(id: UInt64) -> Waiter? { waiters.removeValue(forKey: id) }

    /// No more waits: every waiter to resume with ``RDKafkaQueueWake/closed``; `nil` if closed
    /// already.
    mutating func close() -> [Waiter]? {
        guard !isClosed else { return nil }
        isClosed = true
        defer { waiters.removeAll() }
        return Array(waiters.values)
    }
}
