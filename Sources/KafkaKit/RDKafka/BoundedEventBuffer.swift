import Dispatch
import Synchronization

/// A bounded single-reader buffer, bounded by the total weight of its elements, between the poller thread (which may block) and an async
/// reader. When the buffer holds `capacity` elements the poller waits, so librdkafka's own
/// queue keeps the rest: memory stays bounded and senders feel the back-pressure as a full
/// producer queue.
final class BoundedEventBuffer<Element: Sendable>: Sendable {
    private enum PushAction {
        case resume(CheckedContinuation<Element?, Never>)
        case added
        case wait
    }

    private enum NextAction {
        case resume(Element?, wakeWriter: Bool)
        case wait
    }

    private struct State {
        var elements: [(element: Element, weight: Int)] = []
        var head = 0
        var weight = 0
        var reader: CheckedContinuation<Element?, Never>?
        var writerWaiting = false
        var finished = false

        mutating func popFirst() -> Element? {
            guard head < elements.count else { return nil }
            let (element, elementWeight) = elements[head]
            weight -= elementWeight
            head += 1
            if head == elements.count {
                elements.removeAll(keepingCapacity: true)
                head = 0
            }
            return element
        }
    }

    private let state = Mutex(State())
    private let space = DispatchSemaphore(value: 0)
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Called by the poller thread. Waits while the buffer is full, at most until `deadline`.
    /// Returns `false` if the element could not be added before the deadline (it is kept for
    /// the next call by the caller) — `true` once added or if the reader has gone away.
    /// With `force`, adds at once whatever the weight (the caller checked ``isFull`` first).
    func push(_ element: Element, weight: Int, waitingUntil deadline: DispatchTime, force: Bool = false) -> Bool {
        while true {
            let action: PushAction = state.withLock { state in
                if state.finished { return .added }
                if let reader = state.reader {
                    state.reader = nil
                    return .resume(reader)
                }
                // An empty buffer takes any element, so a batch larger than the bound still goes.
                if force || state.weight == 0 || state.weight + weight <= capacity {
                    state.elements.append((element, weight))
                    state.weight += weight
                    self.weight.store(state.weight, ordering: .relaxed)
                    return .added
                }
                state.writerWaiting = true
                return .wait
            }
            switch action {
            case .resume(let reader):
                reader.resume(returning: element)
                return true
            case .added:
                return true
            case .wait:
                if space.wait(timeout: deadline) == .timedOut { return false }
            }
        }
    }

    /// Whether the buffer holds its capacity or more (a lock-free read; may lag by an element).
    var isFull: Bool { weight.load(ordering: .relaxed) >= capacity }

    /// A copy of `State.weight` readable without the lock.
    private let weight = Atomic<Int>(0)

    /// The next element, or `nil` once finished and empty. One reader at a time.
    func next() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let action: NextAction = state.withLock { state in
                    if let element = state.popFirst() {
                        self.weight.store(state.weight, ordering: .relaxed)
                        let wake = state.writerWaiting
                        state.writerWaiting = false
                        return .resume(element, wakeWriter: wake)
                    }
                    if state.finished { return .resume(nil, wakeWriter: false) }
                    precondition(state.reader == nil, "KafkaProducerEvents supports one iterator at a time")
                    state.reader = continuation
                    return .wait
                }
                if case .resume(let element, let wake) = action {
                    if wake { space.signal() }
                    continuation.resume(returning: element)
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// No more elements will be added; a waiting reader sees the end after what is buffered.
    func finish() {
        let reader = state.withLock { state -> CheckedContinuation<Element?, Never>? in
            state.finished = true
            defer { state.reader = nil }
            return state.reader
        }
        reader?.resume(returning: nil)
        space.signal()
    }

    /// The reader is gone: drop what is buffered and stop blocking the writer.
    func cancel() {
        let reader = state.withLock { state -> CheckedContinuation<Element?, Never>? in
            state.finished = true
            state.elements.removeAll()
            state.head = 0
            state.weight = 0
            self.weight.store(0, ordering: .relaxed)
            defer { state.reader = nil }
            return state.reader
        }
        reader?.resume(returning: nil)
        space.signal()
    }
}
