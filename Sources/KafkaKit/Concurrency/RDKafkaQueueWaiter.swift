import CLibrdkafka
import Dispatch
import Synchronization

/// Tasks waiting for a librdkafka queue to hold something, without holding a thread.
///
/// librdkafka calls back (`rd_kafka_queue_cb_event_enable`, from its own thread, with the queue
/// locked) whenever the queue goes from empty to non-empty; the callback resumes every waiter,
/// and each looks again with a non-blocking take. A wait's deadline is a Dispatch timer,
/// cancelled when the wait ends earlier: nothing polls, nothing sleeps. Waits on different
/// queues share nothing but the cooperative pool.
///
/// Lock order: the callback holds librdkafka's queue lock and then takes ``state``'s, so no
/// librdkafka call is made with ``state`` locked.
final class RDKafkaQueueWaiter: Sendable {
    let queue: RDKafkaQueue
    private let state = Mutex(RDKafkaQueueWaiterState<Pending>())
    /// What librdkafka's callback holds. It outlives every callback: the callback is turned off
    /// (under librdkafka's queue lock, so none is running) before this is released.
    private let callbackTarget = CallbackTarget()

    private struct Pending: Sendable {
        let continuation: CheckedContinuation<RDKafkaQueueWake, Never>
        let timer: Timer
    }

    /// A wait's deadline.
    ///
    /// `@unchecked Sendable`: a `DispatchWorkItem` may be scheduled and cancelled from any
    /// thread; Dispatch does not mark it `Sendable`.
    private struct Timer: @unchecked Sendable {
        let item: DispatchWorkItem
        func schedule(at deadline: DispatchTime) { DispatchQueue.global().asyncAfter(deadline: deadline, execute: item) }
        func cancel() { item.cancel() }
    }

    /// Reaches the waiter weakly: a callback racing the waiter's last release finds it gone.
    ///
    /// `@unchecked Sendable`: `waiter` is set once, in the waiter's `init`, before the callback
    /// is turned on; weak references are read atomically.
    private final class CallbackTarget: @unchecked Sendable {
        weak var waiter: RDKafkaQueueWaiter?
    }

    init(queue: RDKafkaQueue) {
        self.queue = queue
        callbackTarget.waiter = self
        rd_kafka_queue_cb_event_enable(queue.handle, { _, opaque in
            Unmanaged<CallbackTarget>.fromOpaque(opaque!).takeUnretainedValue().waiter?.queueBecameNonEmpty()
        }, Unmanaged.passUnretained(callbackTarget).toOpaque())
    }

    deinit {
        if !state.withLock({ $0.isClosed }) { rd_kafka_queue_cb_event_enable(queue.handle, nil, nil) }
    }

    /// Bumped by every wake-up: note it before a take, and pass it to ``wait(after:until:)``.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Waits until the queue has become non-empty since `generation` was read, the deadline
    /// passes, the task is cancelled, or the waiter is closed.
    func wait(after generation: UInt64, until deadline: DispatchTime) async -> RDKafkaQueueWake {
        let id = state.withLock { $0.makeID() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<RDKafkaQueueWake, Never>) in
                let timer = Timer(item: DispatchWorkItem { [weak self] in self?.expire(id) })
                let pending = Pending(continuation: continuation, timer: timer)
                let action = state.withLock { $0.wait(id: id, after: generation, isCancelled: Task.isCancelled, pending) }
                switch action {
                case .suspend: timer.schedule(at: deadline)
                case .resume(let wake): continuation.resume(returning: wake)
                }
            }
        } onCancel: {
            if let pending = state.withLock({ $0.cancel(id: id) }) { Self.resume(pending, .cancelled) }
        }
    }

    /// Wakes every waiter with ``RDKafkaQueueWake/closed`` and turns librdkafka's callback off;
    /// later waits return at once. For a queue that is no longer read (a stopped partition).
    func close() {
        guard let waiting = state.withLock({ $0.close() }) else { return }
        rd_kafka_queue_cb_event_enable(queue.handle, nil, nil)
        for pending in waiting { Self.resume(pending, .closed) }
    }

    /// librdkafka's callback, on one of its threads.
    private func queueBecameNonEmpty() {
        for pending in state.withLock({ $0.signal() }) { Self.resume(pending, .ready) }
    }

    private func expire(_ id: UInt64) {
        if let pending = state.withLock({ $0.expire(id: id) }) { pending.continuation.resume(returning: .timedOut) }
    }

    private static func resume(_ pending: Pending, _ wake: RDKafkaQueueWake) {
        pending.timer.cancel()
        pending.continuation.resume(returning: wake)
    }
}
