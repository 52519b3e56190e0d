import Synchronization

/// The buffer between the thread serving librdkafka's queue (the writer, which never waits
/// here) and the one async reader of ``KafkaProducerEvents``. Its rules are
/// ``EventBufferStateMachine``'s; this class holds it in a `Mutex` and resumes the reader
/// outside the lock.
///
/// Bounded by the senders: ``isFull`` (a lock-free read) makes fire-and-forget sends fail as a
/// full queue, and `onSpace` runs when the buffer goes below its capacity again (or its reader
/// goes away), so that those sends retry.
final class BoundedEventBuffer<Element: Sendable>: Sendable {
    private typealias Machine = EventBufferStateMachine<Element, CheckedContinuation<Element?, Never>>

    private let machine: Mutex<Machine>
    /// Copies of the machine's `isFull` and `isReaderGone`, written under the lock, for the
    /// send path and the report builder.
    private let full = Atomic<Bool>(false)
    private let gone = Atomic<Bool>(false)
    private let onSpace: @Sendable () -> Void
    let capacity: Int

    init(capacity: Int, onSpace: @escaping @Sendable () -> Void) {
        let machine = Machine(capacity: capacity)
        self.capacity = machine.capacity
        self.machine = Mutex(machine)
        self.onSpace = onSpace
    }

    /// Whether the buffer holds its capacity or more (may lag the lock by an element).
    var isFull: Bool { full.load(ordering: .relaxed) }

    /// Whether the reader has gone, so that everything pushed is discarded.
    var isDiscarding: Bool { gone.load(ordering: .relaxed) }

    private func publish(_ machine: borrowing Machine) {
        full.store(machine.isFull, ordering: .relaxed)
        gone.store(machine.isReaderGone, ordering: .relaxed)
    }

    /// Adds an element, never waiting. `false` if it was discarded: the reader has gone, or
    /// (with `droppableWhenFull`) the buffer is full.
    @discardableResult
    func push(_ element: Element, weight: Int, droppableWhenFull: Bool = false) -> Bool {
        let action = machine.withLock { machine in
            defer { publish(machine) }
            return machine.push(element, weight: weight, droppableWhenFull: droppableWhenFull)
        }
        switch action {
        case .resume(let reader, let element):
            reader.resume(returning: element)
            return true
        case .buffered:
            return true
        case .discarded:
            return false
        }
    }

    /// No more elements will be added; the reader sees the end after what is buffered.
    func finish() {
        machine.withLock { $0.finish() }?.resume(returning: nil)
    }

    /// Claims the reader's place: `true` for the first iterator, `false` for a later one.
    func makeReader() -> Bool {
        machine.withLock { $0.makeReader() }
    }

    /// The next element, or `nil` once finished and empty (or the reader has gone).
    func next() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let action = machine.withLock { machine in
                    defer { publish(machine) }
                    return machine.next(continuation)
                }
                switch action {
                case .resume(let reader, let element, let spaceFreed):
                    reader.resume(returning: element)
                    if spaceFreed { onSpace() }
                case .wait:
                    break
                }
            }
        } onCancel: {
            readerGone()
        }
    }

    /// The reader is gone (its iterator dropped, or its task cancelled): discard what is
    /// buffered and everything later.
    func readerGone() {
        act(machine.withLock { machine in
            defer { publish(machine) }
            return machine.readerGone()
        })
    }

    /// Every copy of the sequence is gone: if no iterator was made, nobody will read.
    func sequenceDropped() {
        act(machine.withLock { machine in
            defer { publish(machine) }
            return machine.sequenceDropped()
        })
    }

    private func act(_ action: Machine.GoneAction) {
        action.resume?.resume(returning: nil)
        if action.spaceFreed { onSpace() }
    }
}
