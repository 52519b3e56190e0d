import CLibrdkafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// What librdkafka's consumer callbacks reach (through the client's opaque). It knows nothing
/// of the consumer itself, so it can safely outlive it until `rd_kafka_destroy`.
final class RDKafkaConsumerCallbacks: Sendable {
    let logger: Logger
    let events: RDKafkaConsumerEventBuffer
    /// Revocations, so that records of a revoked partition are neither stored nor committed.
    let assignments = Mutex(ConsumerAssignmentLedger())
    /// Metrics fed from the statistics; `nil` when off.
    let metrics: RDKafkaMetrics?

    init(logger: Logger, metrics: RDKafkaMetrics? = nil) {
        self.logger = logger
        self.metrics = metrics
        self.events = RDKafkaConsumerEventBuffer(capacity: 1024) { event in
            RDKafkaConsumerCallbacks.log(unread: event, to: logger)
        }
    }

    /// An event nobody iterates ``KafkaConsumer/events`` for: rebalances and errors at
    /// `info` (a library logs no higher), the rest at `debug`.
    static func log(unread event: KafkaConsumerEvent, to logger: Logger) {
        switch event {
        case .partitionsAssigned(let partitions):
            logger.info("Kafka partitions assigned", metadata: [KafkaLogMetadataKey.partitions: "\(partitions)"])
        case .partitionsRevoked(let partitions):
            logger.info("Kafka partitions revoked", metadata: [KafkaLogMetadataKey.partitions: "\(partitions)"])
        case .partitionsLost(let partitions):
            logger.info("Kafka partitions lost", metadata: [KafkaLogMetadataKey.partitions: "\(partitions)"])
        case .offsetsCommitted(let offsets, let error):
            if let error {
                logger.info("Kafka commit failed", metadata: [KafkaLogMetadataKey.offsets: "\(offsets)", KafkaLogMetadataKey.error: "\(error)"])
            } else {
                logger.debug("Kafka offsets committed", metadata: [KafkaLogMetadataKey.offsets: "\(offsets)"])
            }
        case .partitionEOF(let partition):
            logger.debug("Kafka partition end reached", metadata: [KafkaLogMetadataKey.partition: "\(partition)"])
        case .error(let error):
            logger.info("Kafka consumer error", metadata: [KafkaLogMetadataKey.error: "\(error)"])
        case .statistics:
            logger.trace("Kafka statistics")
        }
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
            RDKafkaConsumerCallbacks.from(opaque).events.push(.offsetsCommitted(RDKafkaTopicPartitionList.read(offsets), error))
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
            callbacks.events.push(.error(error))
        }
        rd_kafka_conf_set_stats_cb(conf) { _, json, _, opaque in
            guard let json else { return 0 }
            let callbacks = RDKafkaConsumerCallbacks.from(opaque)
            callbacks.metrics?.submit(statistics: json)
            callbacks.events.push(.statistics(String(cString: json)))
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
        // NULL while the group handle is going away (a close): the eager calls are then safe.
        let incremental = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
        var failure: OpaquePointer? = nil
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if incremental {
                failure = rd_kafka_incremental_assign(rk, list)
            } else {
                let result = rd_kafka_assign(rk, list)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR { events.push(.error(KafkaError(result, message: "assigning \(partitions)"))) }
            }
            events.push(.partitionsAssigned(partitions))
        default:
            let lost = rd_kafka_assignment_lost(rk) != 0
            assignments.withLock { ledger in
                ledger.revoke(partitions.map { ConsumerAssignmentLedger.Partition(topic: $0.topic, partition: $0.partition) })
            }
            events.push(lost ? .partitionsLost(partitions) : .partitionsRevoked(partitions))
            if incremental {
                failure = rd_kafka_incremental_unassign(rk, list)
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        }
        if let failure {
            let error = KafkaError(consuming: failure)
            events.push(.error(error))
        }
    }
}

