import CLibrdkafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// The machinery behind ``KafkaConsumer``, in the shape of a C consumer loop: the iterator
/// holding the read turn takes whole batches itself with a non-blocking
/// `rd_kafka_consume_batch_queue` (which also serves librdkafka's callbacks) and reads them on
/// its own thread — no hand-off between threads, no lock or poll per message. Who reads,
/// who waits and what closing does are the rules of ``ConsumerReadStateMachine``.
///
/// Only when the queue is empty does the reader suspend; a waker thread sleeps in `poll(2)` on
/// a pipe librdkafka writes to when the queue becomes non-empty
/// (`rd_kafka_queue_io_event_enable`) and resumes it.
///
/// Offsets (unless the application stores them itself, `enable.auto.offset.store=false`):
/// librdkafka's own store is always off; a batch's offsets are stored once the application
/// asked for the record after its last (it moved past them all), and what was handed out is
/// stored when the application commits or closes. At-least-once, like the Java client.
///
/// `max.poll.interval.ms`: librdkafka counts a poll only when records are taken, a batch at a
/// time. The waker counts, as polls, an application moving through its batch (a record
/// handed out since its last look) and a reader suspended waiting for records, and tells
/// librdkafka so with an empty take. An application stuck on one record is still detected.
@usableFromInline
final class RDKafkaConsumerCore: Sendable {
    typealias Machine = ConsumerReadStateMachine<RDKafkaConsumerLease, CheckedContinuation<Void, Never>>

    let client: RDKafkaClient
    let consumerQueue: RDKafkaQueue
    let logger: Logger
    let callbacks: RDKafkaConsumerCallbacks
    let batchSize: Int
    /// Whether KafkaKit stores offsets as the application moves past records (the default),
    /// or the application does with `storeOffset` (`enable.auto.offset.store=false`).
    let storesOffsets: Bool
    /// Where a partition without a position or committed offset starts (for ``lag``).
    let startsAtEnd: Bool
    private let state = Mutex(Machine())
    private let nextReaderID = Atomic<UInt64>(1)
    private let closed = DispatchSemaphore(value: 0)
    /// Signalled when a take that close waits for has ended.
    private let takeEndedForClose = DispatchSemaphore(value: 0)
    private let wakerFinished = DispatchSemaphore(value: 0)
    /// What the waker sleeps on: written when the consumer queue becomes non-empty, or by us.
    private let wakePipe: RDKafkaWakePipe
    /// How often the waker looks at the application's progress (a quarter of
    /// `max.poll.interval.ms`, at most a second).
    private let progressCheckMilliseconds: Int32

    var events: RDKafkaConsumerEventBuffer { callbacks.events }

    init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        guard configuration.properties["group.id"] != nil else {
            throw KafkaError(code: .invalidArgument, message: "a group consumer needs group.id", property: "group.id")
        }
        var configuration = configuration
        configuration.applyConsumerDefaults()
        let explicitStore = configuration.properties["enable.auto.offset.store"] ?? configuration.topicProperties["enable.auto.offset.store"]
        self.storesOffsets = explicitStore?.lowercased() != "false"
        configuration.properties["enable.auto.offset.store"] = "false"
        configuration.topicProperties["enable.auto.offset.store"] = nil
        let reset = (configuration.topicProperties["auto.offset.reset"] ?? configuration.properties["auto.offset.reset"] ?? "latest").lowercased()
        self.startsAtEnd = ["latest", "largest", "end"].contains(reset)
        let maxPoll = configuration.properties["max.poll.interval.ms"].flatMap(Int32.init) ?? 300_000
        self.progressCheckMilliseconds = max(10, min(1000, maxPoll / 4))
        let callbacks = RDKafkaConsumerCallbacks(logger: logger, metrics: RDKafkaMetrics.make(configuration, kind: .consumer, logger: logger))
        self.client = try RDKafkaClient(
            type: RD_KAFKA_CONSUMER, configuration: configuration, events: 0, logger: logger,
            callbackContext: callbacks, configure: callbacks.install(on:))
        rd_kafka_poll_set_consumer(client.handle)  // logs and callbacks arrive with the messages
        self.consumerQueue = RDKafkaQueue(client: client, handle: rd_kafka_queue_get_consumer(client.handle))
        self.callbacks = callbacks
        self.logger = logger
        self.batchSize = max(1, configuration.consumerBatchSize)
        self.wakePipe = try RDKafkaWakePipe(queue: consumerQueue)
    }

    var isStopping: Bool { state.withLock { $0.lifecycle != .reading } }

    func start() {
        events.onSpaceFreed { [weak self] in self?.signalData() }
        let thread = Thread { [self] in
            wakeLoop()
            wakerFinished.signal()
        }
        thread.name = "KafkaKit.consumer"
        thread.start()
    }

    func makeReaderID() -> UInt64 {
        nextReaderID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    // MARK: The waker

    private func wakeLoop() {
        var lastProgress: (lease: ObjectIdentifier, handed: Int)? = nil
        while true {
            var woken = wakePipe.wait(milliseconds: progressCheckMilliseconds)
            // A safety net, once per look: records waiting in the queue wake the reader even if
            // librdkafka's wake-up byte was somehow missed.
            if !woken, rd_kafka_queue_length(consumerQueue.handle) > 0 { woken = true }
            let (waiter, lease, waitingForData, lifecycle) = state.withLock { machine in
                (woken ? machine.signalData() : nil, machine.currentLease, machine.isWaitingForData, machine.lifecycle)
            }
            waiter?.resume()
            guard lifecycle == .reading else { break }
            if waitingForData {
                // Waiting for records counts as polling; waiting because nobody reads the
                // events does not (the application is stuck, and the group should know).
                if !woken, !events.isFull { touchPoll() }
            } else if let lease {
                let progress = (ObjectIdentifier(lease), lease.handed.load(ordering: .relaxed))
                if lastProgress.map({ $0 != progress }) ?? true {
                    lastProgress = progress
                    touchPoll()
                }
            }
        }
    }

    /// Tells librdkafka the application polled, without taking anything: an empty take
    /// resets its `max.poll.interval.ms` clock.
    private func touchPoll() {
        var none: UnsafeMutablePointer<rd_kafka_message_t>? = nil
        _ = rd_kafka_consume_batch_queue(consumerQueue.handle, 0, &none, 0)
    }

    /// librdkafka's queue became non-empty, or the event buffer has room again.
    private func signalData() {
        state.withLock { $0.signalData() }?.resume()
    }

    // MARK: Reading

    /// The next lease for reader `id` (finishing the one it has read to the end), or `nil`
    /// once the consumer closes or the reading task is cancelled. Suspends (without blocking
    /// a thread) while another iterator holds the turn or the queue is empty.
    func nextLease(_ id: UInt64) async -> RDKafkaConsumerLease? {
        while true {
            // Stores happen under the lock, so that they keep the order in which records were
            // handed out whatever commits or closes run meanwhile (storing calls no callback).
            let grant = state.withLock { machine -> CheckedContinuation<Void, Never>? in
                let finish = machine.finishLease(id)
                if let done = finish.store { storeHanded(done) }
                return finish.grant
            }
            grant?.resume()
            if Task.isCancelled {
                readerLeft(id)
                return nil
            }
            let action = state.withLock { machine -> Machine.AcquireAction in
                let action = machine.acquire(id)
                // Asking for more: the application moved past what it had of a held batch.
                if case .resume(let lease) = action { storeHanded(lease) }
                return action
            }
            switch action {
            case .finished:
                return nil
            case .resume(let lease):
                if lease.hasMore { return lease }
            case .take:
                let batch = events.isFull ? nil : takeBatch()
                let (installed, signalClose) = state.withLock { machine -> (RDKafkaConsumerLease?, Bool) in
                    var installed: RDKafkaConsumerLease? = nil
                    if let batch {
                        let lease = RDKafkaConsumerLease(batch: batch)
                        if machine.took(id, lease: lease) { installed = lease }
                    }
                    return (installed, machine.takeEnded())
                }
                if signalClose { takeEndedForClose.signal() }
                if let installed { return installed }
                if batch != nil { return nil }  // closing began during the take
                await suspend(id, until: .data)
            case .mustWait:
                await suspend(id, until: .turn)
            }
        }
    }

    private enum Awaited { case data, turn }

    /// Suspends until the machine resumes reader `id` (data came, or the turn is its own).
    private func suspend(_ id: UInt64, until awaited: Awaited) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { machine -> Bool in
                    if Task.isCancelled { return true }
                    switch awaited {
                    case .data:
                        switch machine.waitForData(id, waiter: continuation) {
                        case .queued: return false
                        case .retry, .finished: return true
                        }
                    case .turn:
                        return machine.enqueueForTurn(id, waiter: continuation) == .retry
                    }
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.cancelWait(id) }?.resume()
        }
    }

    /// An iterator is gone: its unread batch stays for the next one, the turn passes on.
    func readerLeft(_ id: UInt64) {
        state.withLock { $0.readerLeft(id) }?.resume()
    }

    /// What the queue holds now (up to a batch), serving callbacks on the way. Never waits.
    /// A batch made only of errors (or end-of-partition markers) that filled the slots is
    /// followed by another take: records may wait behind it, and librdkafka will not wake us
    /// for a queue that never became empty.
    private func takeBatch() -> RDKafkaMessageBatch? {
        typealias Slot = UnsafeMutablePointer<rd_kafka_message_t>?
        let slots = UnsafeMutableBufferPointer<Slot>.allocate(capacity: batchSize)
        // Read before the take: a revocation served during it makes the batch's records of
        // that partition stale (the cautious side).
        let version = callbacks.assignments.withLock { $0.version }
        var kept = 0
        var count = 0
        repeat {
            count = rd_kafka_consume_batch_queue(consumerQueue.handle, 0, slots.baseAddress, batchSize)
            for i in 0..<max(0, count) {
                let message = slots[i]!
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    slots[kept] = message
                    kept += 1
                } else {
                    report(failed: message)
                    rd_kafka_message_destroy(message)
                }
            }
        } while kept == 0 && count == batchSize
        guard kept > 0 else {
            slots.deallocate()
            return nil
        }
        return RDKafkaMessageBatch(messages: slots, count: kept, client: client, assignmentVersion: version)
    }

    private func report(failed message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let m = message.pointee
        if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
            let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
            events.push(.partitionEOF(KafkaTopicPartition(topic: topic, partition: m.partition, offset: m.offset)))
            return
        }
        events.push(.error(.consumed(message)))
    }

    // MARK: Offsets

    /// Stores, for each partition, the offset after the last record of `lease` handed out.
    /// Partitions revoked since the batch was taken are skipped (and librdkafka refuses those
    /// no longer assigned, `_STATE`): their records belong to the new owner now — even when
    /// the partition came back to this consumer meanwhile, it restarted from the group's
    /// committed offset — and nothing is stored for them.
    func storeHanded(_ lease: RDKafkaConsumerLease) {
        guard storesOffsets else { return }
        let end = lease.handed.load(ordering: .acquiring)
        guard end > 0 else { return }
        let messages = lease.batch.messages
        let revokedSinceTake = callbacks.assignments.withLock { $0.version } != lease.batch.assignmentVersion
        var stored: [(topic: OpaquePointer?, partition: Int32)] = []
        for i in stride(from: end - 1, through: 0, by: -1) {
            let message = messages[i]!
            let key = (message.pointee.rkt, message.pointee.partition)
            if stored.contains(where: { $0.topic == key.0 && $0.partition == key.1 }) { continue }
            stored.append(key)
            if revokedSinceTake, isStale(message, takenAt: lease.batch.assignmentVersion) { continue }
            if let error = rd_kafka_offset_store_message(message) {
                let code = rd_kafka_error_code(error)
                rd_kafka_error_destroy(error)
                if code != RD_KAFKA_RESP_ERR__STATE {
                    logger.debug("Kafka offset store failed", metadata: [KafkaLogMetadataKey.error: "\(KafkaError(code))"])
                }
            }
        }
    }

    /// Whether `message` (taken at assignment version `version`) is of a partition revoked since.
    func isStale(_ message: UnsafeMutablePointer<rd_kafka_message_t>, takenAt version: UInt64) -> Bool {
        guard let rkt = message.pointee.rkt else { return false }
        let partition = ConsumerAssignmentLedger.Partition(topic: String(cString: rd_kafka_topic_name(rkt)), partition: message.pointee.partition)
        return callbacks.assignments.withLock { $0.wasRevoked(partition, since: version) }
    }

    /// Refuses `message` if its partition was revoked after it was read: its offset must not
    /// be committed or stored by this consumer.
    func checkNotStale(_ message: KafkaConsumerMessage) throws(KafkaError) {
        guard isStale(message.pointer, takenAt: message.batch.assignmentVersion) else { return }
        throw KafkaError(
            code: .assignmentLost,
            message: "partition \(message.topic)/\(message.partition) was revoked after offset \(message.offset) was read: "
                + "another member owns it now and reads it again from the group's committed offset; nothing was committed or stored",
            topic: message.topic)
    }

    /// Stores what was handed out of every batch not yet moved past (before a commit).
    func storeOutstanding() {
        state.withLock { machine in
            for lease in machine.outstandingLeases { storeHanded(lease) }
        }
    }

    // MARK: Closing

    /// Ends the message sequences, stores what was handed out, commits (when auto-commit is
    /// on) and leaves the group, serving the revocation callbacks on the calling thread.
    /// Blocking.
    func stopBlocking() {
        let action = state.withLock { machine -> Machine.CloseAction in
            let action = machine.close()
            guard !action.alreadyClosing else { return action }
            action.current?.truncate()
            for lease in action.store { storeHanded(lease) }
            return action
        }
        if action.alreadyClosing {
            closed.wait()
            closed.signal()
            return
        }
        for waiter in action.waiters { waiter.resume() }
        if action.waitForTake { takeEndedForClose.wait() }
        wakePipe.wake()
        wakerFinished.wait()
        let err = rd_kafka_consumer_close(client.handle)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.info("Kafka consumer close failed", metadata: [KafkaLogMetadataKey.error: "\(KafkaError(err))"])
        }
        state.withLock { $0.closed() }
        events.finish()
        closed.signal()
    }
}

extension KafkaConfiguration {
    /// Consumer defaults that differ from librdkafka's, unless set explicitly:
    /// `fetch.queue.backoff.ms=10` — librdkafka's 1000 ms stalls a fast consumer for a second
    /// whenever its local queue reached `queued.min.messages`.
    mutating func applyConsumerDefaults() {
        if properties["fetch.queue.backoff.ms"] == nil { properties["fetch.queue.backoff.ms"] = "10" }
        // The producer-only default is harmless here but noisy in the effective listing.
        if properties["partitioner"] == KafkaConfiguration.Partitioner.murmur2Random.rawValue { properties["partitioner"] = nil }
    }
}
