/// The rules of a consumer's event buffer. While someone iterates ``KafkaConsumer/events``,
/// the buffer is bounded and a full buffer stops the consumer from taking more from
/// librdkafka (back-pressure) until the reader catches up. Before the first iterator exists,
/// the small events (not statistics) are kept for it, the newest `capacity` of them — an
/// iterator made a moment after the first records were taken still sees the first
/// assignment — and an older one pushed out is logged. Once the last iterator has gone, events
/// are not buffered at all: the consumer logs them. Nothing is dropped silently.
struct ConsumerEventBufferStateMachine<Element, Waiter> {
    private var elements: [Element] = []
    private var head = 0
    private var waiters: [Waiter] = []
    private(set) var readers = 0
    private var hadReader = false
    private(set) var finished = false
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { elements.count - head }
    /// Whether the consumer must wait before taking more records (which may raise events).
    var isFull: Bool { readers > 0 && count >= capacity }

    enum PushAction {
        /// Hand the event to this waiting reader.
        case resume(Waiter)
        case buffered
        /// Kept for a first iterator, pushing out the oldest kept event: log that one.
        case bufferedPushingOut(Element)
        /// Nobody iterates the events (any more): log the event instead.
        case notBuffered
    }

    /// Never blocks: a push while full (callbacks served during one take) overshoots; the
    /// consumer checks ``isFull`` before its next take. `keepable`: whether the event may
    /// wait for a first iterator (statistics, large and periodic, are not kept).
    mutating func push(_ element: Element, keepable: Bool = true) -> PushAction {
        guard !finished else { return .notBuffered }
        guard readers > 0 else {
            guard !hadReader, keepable else { return .notBuffered }
            elements.append(element)
            guard count > capacity else { return .buffered }
            let oldest = elements[head]
            head += 1
            compact()
            return .bufferedPushingOut(oldest)
        }
        if !waiters.isEmpty { return .resume(waiters.removeFirst()) }
        elements.append(element)
        return .buffered
    }

    private mutating func compact() {
        if head == elements.count {
            elements.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > elements.count {
            elements.removeFirst(head)
            head = 0
        }
    }

    enum NextAction {
        /// `spaceFreed`: the buffer was full and no longer is; signal the consumer.
        case element(Element, spaceFreed: Bool)
        case finished
        case wait
    }

    mutating func next(waiter: Waiter) -> NextAction {
        if head < elements.count {
            let wasFull = count >= capacity
            let element = elements[head]
            head += 1
            compact()
            return .element(element, spaceFreed: wasFull && count < capacity)
        }
        if finished { return .finished }
        waiters.append(waiter)
        return .wait
    }

    mutating func readerJoined() {
        readers += 1
        hadReader = true
    }

    /// An iterator went away. When it was the last, what is buffered is dropped (and
    /// returned, so the consumer can log it) and the consumer may take records again.
    mutating func readerLeft() -> (dropped: [Element], spaceFreed: Bool) {
        readers -= 1
        guard readers == 0 else { return ([], false) }
        let wasFull = count >= capacity
        let dropped = Array(elements[head...])
        elements.removeAll()
        head = 0
        return (dropped, wasFull)
    }

    /// A waiting reader's task was cancelled: its waiter, or `nil` if it no longer waits.
    mutating func cancelWait(where matches: (Waiter) -> Bool) -> Waiter? {
        guard let index = waiters.firstIndex(where: matches) else { return nil }
        return waiters.remove(at: index)
    }

    /// The consumer is closed: waiting readers end; buffered events are still read.
    mutating func finish() -> [Waiter] {
        finished = true
        defer { waiters.removeAll() }
        return waiters
    }
}
