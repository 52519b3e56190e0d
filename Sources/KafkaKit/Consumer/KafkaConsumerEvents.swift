import Synchronization

/// A consumer's rebalances, commit results, errors and statistics, as an `AsyncSequence`.
///
/// While you iterate, at most 1 024 events wait for you; when that many wait, the consumer
/// stops taking records from librdkafka until you catch up (back-pressure, not loss). Until the
/// first iterator is made, the newest 1 024 events other than statistics are kept for it, so
/// a loop started in a task of its own sees the first assignment; to be sure of every event,
/// make the iterator before reading messages (`let events = consumer.events.makeAsyncIterator()`
/// and move it into the task that reads it). Once every iterator has gone, events are not
/// kept. An event not kept is logged: rebalances and errors at `info`, the rest at `debug`.
/// Several iterators share the events: each event goes to one of them.
public struct KafkaConsumerEvents: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerEvent
    public typealias Failure = Never

    let buffer: RDKafkaConsumerEventBuffer

    /// `Sendable`, so that an iterator made before records flow (to miss no event) can be
    /// moved into the task that reads it.
    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let registration: Registration

        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaConsumerEvent? {
            await registration.buffer.next()
        }

        public mutating func next() async -> KafkaConsumerEvent? {
            await registration.buffer.next()
        }
    }

    /// Counts the iterator as a reader for as long as any copy of it exists.
    final class Registration: Sendable {
        let buffer: RDKafkaConsumerEventBuffer
        init(buffer: RDKafkaConsumerEventBuffer) {
            self.buffer = buffer
            buffer.readerJoined()
        }
        deinit { buffer.readerLeft() }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(registration: Registration(buffer: buffer))
    }
}

/// The buffer behind ``KafkaConsumerEvents``; see ``ConsumerEventBufferStateMachine``.
final class RDKafkaConsumerEventBuffer: Sendable {
    struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<KafkaConsumerEvent?, Never>
    }
    typealias Machine = ConsumerEventBufferStateMachine<KafkaConsumerEvent, Waiter>

    private let state: Mutex<Machine>
    private let nextWaiterID = Atomic<UInt64>(0)
    /// Called when a full buffer gets room again (the consumer may take records again).
    private let spaceFreed = Mutex<(@Sendable () -> Void)?>(nil)
    /// Called with each event nobody reads.
    private let unread: @Sendable (KafkaConsumerEvent) -> Void

    init(capacity: Int, unread: @escaping @Sendable (KafkaConsumerEvent) -> Void) {
        self.state = Mutex(ConsumerEventBufferStateMachine(capacity: capacity))
        self.unread = unread
    }

    func onSpaceFreed(_ body: @escaping @Sendable () -> Void) {
        spaceFreed.withLock { $0 = body }
    }

    var isFull: Bool { state.withLock { $0.isFull } }

    func push(_ event: KafkaConsumerEvent) {
        let keepable = if case .statistics = event { false } else { true }
        switch state.withLock({ $0.push(event, keepable: keepable) }) {
        case .resume(let waiter): waiter.continuation.resume(returning: event)
        case .buffered: break
        case .bufferedPushingOut(let oldest): unread(oldest)
        case .notBuffered: unread(event)
        }
    }

    func next() async -> KafkaConsumerEvent? {
        let id = nextWaiterID.wrappingAdd(1, ordering: .relaxed).oldValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<KafkaConsumerEvent?, Never>) in
                let action = state.withLock { machine -> Machine.NextAction in
                    if Task.isCancelled { return .finished }
                    return machine.next(waiter: Waiter(id: id, continuation: continuation))
                }
                switch action {
                case .element(let event, let freed):
                    if freed { spaceFreed.withLock { $0 }?() }
                    continuation.resume(returning: event)
                case .finished:
                    continuation.resume(returning: nil)
                case .wait:
                    break
                }
            }
        } onCancel: {
            state.withLock { $0.cancelWait { $0.id == id } }?.continuation.resume(returning: nil)
        }
    }

    func readerJoined() { state.withLock { $0.readerJoined() } }

    func readerLeft() {
        let (dropped, freed) = state.withLock { $0.readerLeft() }
        for event in dropped { unread(event) }
        if freed { spaceFreed.withLock { $0 }?() }
    }

    func finish() {
        let waiters = state.withLock { $0.finish() }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }
}
