import CLibrdkafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// What librdkafka's consumer callbacks reach (through the client's opaque). It knows nothing
/// of the consumer itself, so it can safely outlive it until `rd_kafka_destroy`.
final class RDKafkaConsumerCallbacks: Sendable {
    let logger: Logger
    let events: AsyncStream<KafkaConsumerEvent>.Continuation

    init(logger: Logger, events: AsyncStream<KafkaConsumerEvent>.Continuation) {
        self.logger = logger
        self.events = events
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaConsumerCallbacks {
        Unmanaged<RDKafkaConsumerCallbacks>.fromOpaque(opaque!).takeUnretainedValue()
    }

    /// Installs every callback on `conf`; they run on the consumer thread, during its consume calls.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
            RDKafkaConsumerCallbacks.from(opaque).rebalance(rk!, err, partitions)
        }
        rd_kafka_conf_set_offset_commit_cb(conf) { _, err, offsets, opaque in
            let error = err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET ? nil : KafkaError(err)
            RDKafkaConsumerCallbacks.from(opaque).events.yield(.offsetsCommitted(RDKafkaTopicPartitionList.read(offsets), error))
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            let callbacks = RDKafkaConsumerCallbacks.from(opaque)
            var error = KafkaError(rd_kafka_resp_err_t(rawValue: err), message: reason.map { String(cString: $0) })
            if err == RD_KAFKA_RESP_ERR__FATAL.rawValue {
                var text = [CChar](repeating: 0, count: 512)
                let fatal = rd_kafka_fatal_error(rk, &text, text.count)
                error = KafkaError(fatal, message: String(nullTerminated: text))
                error.isFatal = true
            }
            callbacks.logger.error("Kafka client error", metadata: ["kafka.error": "\(error)"])
            callbacks.events.yield(.error(error))
        }
        rd_kafka_conf_set_stats_cb(conf) { _, json, _, opaque in
            if let json { RDKafkaConsumerCallbacks.from(opaque).events.yield(.statistics(String(cString: json))) }
            return 0  // librdkafka frees the JSON
        }
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, text in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            RDKafkaConsumerCallbacks.from(opaque).logger.logLibrdkafka(level: level, facility: facility, text: text)
        }
    }

    /// Applies an assignment change the way the group's protocol requires (eager: whole
    /// assignment; cooperative and KIP-848: incremental), then reports it.
    private func rebalance(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        let partitions = RDKafkaTopicPartitionList.read(list)
        let incremental = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        var failure: OpaquePointer? = nil
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if incremental {
                failure = rd_kafka_incremental_assign(rk, list)
            } else {
                let result = rd_kafka_assign(rk, list)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("Kafka assign failed", metadata: ["kafka.error": "\(KafkaError(result))"]) }
            }
            events.yield(.partitionsAssigned(partitions))
        default:
            let lost = rd_kafka_assignment_lost(rk) != 0
            events.yield(lost ? .partitionsLost(partitions) : .partitionsRevoked(partitions))
            if incremental {
                failure = rd_kafka_incremental_unassign(rk, list)
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        }
        if let failure {
            let error = KafkaError(consuming: failure)
            logger.error("Kafka rebalance failed", metadata: ["kafka.error": "\(error)"])
            events.yield(.error(error))
        }
    }
}

/// The machinery behind ``KafkaConsumer``, in the shape of a C consumer loop: the reader of
/// ``KafkaConsumer/messages`` takes whole batches itself with a non-blocking
/// `rd_kafka_consume_batch_queue` (which also serves librdkafka's callbacks), reads them and
/// destroys them on its own thread — no hand-off between threads, no lock or poll per message.
///
/// Only when the queue is empty does the reader suspend; a waker thread sleeps in `poll(2)` on
/// a pipe librdkafka writes to when the queue becomes non-empty
/// (`rd_kafka_queue_io_event_enable`) and resumes it. Nothing sleeps on a timer.
@usableFromInline
final class RDKafkaConsumerCore: Sendable {
    let client: RDKafkaClient
    let consumerQueue: RDKafkaQueue
    let logger: Logger
    let callbacks: RDKafkaConsumerCallbacks
    let batchSize: Int
    private let stopping = Atomic<Bool>(false)
    private let closed = DispatchSemaphore(value: 0)
    private let wakerFinished = DispatchSemaphore(value: 0)
    /// What the waker sleeps on: written when the consumer queue becomes non-empty, or by us.
    private let wakePipe: RDKafkaWakePipe
    private let waiting = Mutex(Waiting())

    private struct Waiting {
        var reader: CheckedContinuation<Void, Never>?
        /// The queue became non-empty while no reader waited: the next wait returns at once.
        var signaled = false
    }

    init(configuration: KafkaConfiguration, logger: Logger, events: AsyncStream<KafkaConsumerEvent>.Continuation) throws(KafkaError) {
        guard configuration.properties["group.id"] != nil else {
            throw KafkaError(code: .invalidArgument, message: "a group consumer needs group.id", property: "group.id")
        }
        var configuration = configuration
        configuration.applyConsumerDefaults()
        let callbacks = RDKafkaConsumerCallbacks(logger: logger, events: events)
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

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    func start() {
        let thread = Thread { [self] in
            wakeLoop()
            wakerFinished.signal()
        }
        thread.name = "KafkaKit.consumer"
        thread.start()
    }

    private func wakeLoop() {
        while !isStopping {
            wakePipe.wait(milliseconds: 1000)
            resumeReader()
        }
        // A reader may have registered after this loop's last look: resume it on the way out.
        // Whoever registers later sees `stopping` under the same lock and does not wait.
        resumeReader()
    }

    /// Resumes the waiting reader, or leaves a signal for the next one.
    private func resumeReader() {
        let reader = waiting.withLock { w -> CheckedContinuation<Void, Never>? in
            defer { w.reader = nil }
            if w.reader == nil { w.signaled = true }
            return w.reader
        }
        reader?.resume()
    }

    /// The next batch of messages, taken by the calling reader; `nil` once the consumer is
    /// closed or the reading task is cancelled. Suspends (without blocking a thread) only while
    /// the queue is empty.
    func nextBatch() async -> RDKafkaMessageBatch? {
        while !isStopping && !Task.isCancelled {
            if let batch = takeBatch() { return batch }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = waiting.withLock { w -> Bool in
                        if w.signaled || isStopping || Task.isCancelled {
                            w.signaled = false
                            return true
                        }
                        precondition(w.reader == nil, "KafkaConsumer supports one reader of messages/batches at a time")
                        w.reader = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                let reader = waiting.withLock { w -> CheckedContinuation<Void, Never>? in
                    defer { w.reader = nil }
                    return w.reader
                }
                reader?.resume()
            }
        }
        return nil
    }

    /// What the queue holds now (up to a batch), serving callbacks on the way. Never waits.
    private func takeBatch() -> RDKafkaMessageBatch? {
        typealias Slot = UnsafeMutablePointer<rd_kafka_message_t>?
        let slots = UnsafeMutableBufferPointer<Slot>.allocate(capacity: batchSize)
        let count = rd_kafka_consume_batch_queue(consumerQueue.handle, 0, slots.baseAddress, batchSize)
        var kept = 0
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
        guard kept > 0 else {
            slots.deallocate()
            return nil
        }
        return RDKafkaMessageBatch(messages: slots, count: kept, client: client)
    }

    private func report(failed message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let m = message.pointee
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) }
        if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
            callbacks.events.yield(.partitionEOF(KafkaTopicPartition(topic: topic ?? "", partition: m.partition, offset: m.offset)))
            return
        }
        var error = KafkaError(m.err, topic: topic)
        if let text = rd_kafka_message_errstr(message) { error.message = String(cString: text) }
        logger.warning("Kafka consume error", metadata: ["kafka.error": "\(error)"])
        callbacks.events.yield(.error(error))
    }

    /// Ends the message sequences, commits final offsets (when auto-commit is on) and leaves
    /// the group, serving the revocation callbacks on the calling thread. Blocking.
    func stopBlocking() {
        guard stopping.exchange(true, ordering: .acquiringAndReleasing) == false else {
            closed.wait()
            closed.signal()
            return
        }
        wakePipe.wake()
        wakerFinished.wait()
        let err = rd_kafka_consumer_close(client.handle)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("Kafka consumer close failed", metadata: ["kafka.error": "\(KafkaError(err))"])
        }
        callbacks.events.finish()
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
