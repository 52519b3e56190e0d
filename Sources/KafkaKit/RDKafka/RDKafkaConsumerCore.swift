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
            RDKafkaConsumerCallbacks.from(opaque).logger.log(
                level: RDKafkaClient.loggerLevel(forSyslog: level),
                "\(text.map { String(cString: $0) } ?? "")",
                metadata: ["kafka.facility": "\(facility.map { String(cString: $0) } ?? "")"]
            )
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

/// The machinery behind ``KafkaConsumer``: one thread takes messages from the consumer queue
/// in batches (`rd_kafka_consume_batch_queue`), serves librdkafka's callbacks in the same
/// calls, and hands whole batches to the reader through a bounded buffer — no lock, poll or
/// allocation per message.
final class RDKafkaConsumerCore: Sendable {
    let client: RDKafkaClient
    let consumerQueue: RDKafkaQueue
    let logger: Logger
    let buffer: BoundedEventBuffer<RDKafkaMessageBatch>
    let callbacks: RDKafkaConsumerCallbacks
    let batchSize: Int
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

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
        self.buffer = BoundedEventBuffer(capacity: configuration.consumerBufferCapacity)
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    func start() {
        let thread = Thread { [self] in
            consumeLoop()
            finished.signal()
        }
        thread.name = "KafkaKit.consumer"
        thread.start()
    }

    private func consumeLoop() {
        let queue = consumerQueue.handle
        typealias Slot = UnsafeMutablePointer<rd_kafka_message_t>?
        while !isStopping {
            let slots = UnsafeMutableBufferPointer<Slot>.allocate(capacity: batchSize)
            // What is there now; if nothing, wait (woken by librdkafka) for one, then take
            // whatever came with it. A batch call with a timeout would wait for a full batch.
            var count = rd_kafka_consume_batch_queue(queue, 0, slots.baseAddress, batchSize)
            if count <= 0, let first = rd_kafka_consume_queue(queue, 1000) {
                slots[0] = first
                let more = rd_kafka_consume_batch_queue(queue, 0, slots.baseAddress! + 1, batchSize - 1)
                count = 1 + max(0, more)
            }
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
                continue
            }
            let batch = RDKafkaMessageBatch(messages: slots, count: kept)
            // A full buffer (slow reader) stops the taking; librdkafka's own queue then fills
            // and fetching pauses: memory stays bounded.
            while !buffer.push(batch, weight: kept, waitingUntil: .now() + .milliseconds(100)), !isStopping {}
        }
        // Commits final offsets (when auto-commit is on) and leaves the group, serving the
        // revocation callbacks on this thread.
        let err = rd_kafka_consumer_close(client.handle)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("Kafka consumer close failed", metadata: ["kafka.error": "\(KafkaError(err))"])
        }
        buffer.finish()
        callbacks.events.finish()
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

    /// Stops taking messages, closes the consumer (final commit, leave group) and waits.
    func stopBlocking() {
        guard stopping.exchange(true, ordering: .acquiringAndReleasing) == false else { return }
        consumerQueue.yield()
        buffer.cancelWaitingWriter()
        finished.wait()
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
