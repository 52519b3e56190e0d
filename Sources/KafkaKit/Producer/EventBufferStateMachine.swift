/// The rules of a producer's event buffer: what it holds, whether its one reader is there,
/// and when the writer is done. ``BoundedEventBuffer`` keeps it in a `Mutex` and acts on
/// what each method returns after unlocking.
///
/// The writer (the thread serving librdkafka's queue) never waits here: a push is buffered,
/// handed to the waiting reader, or discarded. The bound is kept on the send side instead:
/// while the buffer holds ``capacity`` or more, fire-and-forget sends are refused as a full
/// queue, so the buffer holds at most `capacity` plus the reports of the messages librdkafka
/// already had. Events that are not reports (errors, statistics) are dropped while it is full.
///
/// The reader:
/// ```
/// notYet ──iterator made──▶ reading ◀──element──▶ waiting
///   │                          │                     │
///   │                          └──iterator dropped or task cancelled──▶ gone
///   └──sequence dropped, no iterator made──────────────────────────────▶ gone
/// ```
/// Once `gone`, everything buffered and everything later is discarded: nobody will read it.
/// Only the first iterator reads; any later one ends at once.
struct EventBufferStateMachine<Element, Reader> {
    enum ReaderState {
        case notYet
        case reading
        case waiting(Reader)
        case gone
    }

    let capacity: Int
    private(set) var reader: ReaderState = .notYet
    private(set) var finished = false
    /// The total weight buffered (a batch of reports weighs its count).
    private(set) var weight = 0
    private var elements: [(element: Element, weight: Int)] = []
    private var head = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var isFull: Bool { weight >= capacity }

    var isReaderGone: Bool {
        if case .gone = reader { return true }
        return false
    }

    var count: Int { elements.count - head }

    // MARK: Writer

    enum PushAction {
        /// Hand the element to the waiting reader.
        case resume(Reader, Element)
        case buffered
        /// Nobody will read it (reader gone, writer finished, or a droppable event while full).
        case discarded
    }

    mutating func push(_ element: Element, weight elementWeight: Int, droppableWhenFull: Bool) -> PushAction {
        if finished { return .discarded }
        switch reader {
        case .gone:
            return .discarded
        case .waiting(let waiting):
            // A reader only waits on an empty buffer.
            reader = .reading
            return .resume(waiting, element)
        case .notYet, .reading:
            if droppableWhenFull, isFull { return .discarded }
            elements.append((element, elementWeight))
            weight += elementWeight
            return .buffered
        }
    }

    /// The writer is done; returns a waiting reader to resume with `nil`.
    mutating func finish() -> Reader? {
        finished = true
        guard case .waiting(let waiting) = reader else { return nil }
        reader = .reading
        return waiting
    }

    // MARK: Reader

    /// An iterator was made: `true` if it is the sequence's reader, `false` for any later one.
    mutating func makeReader() -> Bool {
        guard case .notYet = reader else { return false }
        reader = .reading
        return true
    }

    enum NextAction {
        /// Resume the reader with this element (`nil`: the sequence has ended). If
        /// `spaceFreed`, the buffer just went below its capacity: refused sends may retry.
        case resume(Reader, Element?, spaceFreed: Bool)
        case wait
    }

    mutating func next(_ waiting: Reader) -> NextAction {
        switch reader {
        case .gone:
            return .resume(waiting, nil, spaceFreed: false)
        case .waiting:
            preconditionFailure("KafkaProducerEvents: one next() at a time")
        case .notYet:
            preconditionFailure("next() before makeReader()")
        case .reading:
            if head < elements.count {
                let wasFull = isFull
                let (element, elementWeight) = elements[head]
                head += 1
                weight -= elementWeight
                if head == elements.count {
                    elements.removeAll(keepingCapacity: true)
                    head = 0
                }
                return .resume(waiting, element, spaceFreed: wasFull && !isFull)
            }
            if finished { return .resume(waiting, nil, spaceFreed: false) }
            reader = .waiting(waiting)
            return .wait
        }
    }

    struct GoneAction {
        /// A waiting reader to resume with `nil`.
        var resume: Reader?
        /// The buffer was full: refused sends may retry.
        var spaceFreed: Bool
    }

    /// Every copy of the sequence was dropped. With no iterator made, nobody can read any
    /// more: the reader is gone. Otherwise the iterator decides.
    mutating func sequenceDropped() -> GoneAction {
        guard case .notYet = reader else { return GoneAction(resume: nil, spaceFreed: false) }
        return readerGone()
    }

    /// The reader's iterator was dropped, or its task cancelled: discard everything.
    mutating func readerGone() -> GoneAction {
        var action = GoneAction(resume: nil, spaceFreed: isFull)
        switch reader {
        case .gone:
            return GoneAction(resume: nil, spaceFreed: false)
        case .waiting(let waiting):
            action.resume = waiting
        case .notYet, .reading:
            break
        }
        reader = .gone
        elements = []
        head = 0
        weight = 0
        return action
    }
}
