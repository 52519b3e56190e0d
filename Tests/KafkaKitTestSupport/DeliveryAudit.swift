import CLibrdkafka
import Foundation
public import KafkaKit

/// Accounts for every message of a produce run under faults: its reports, and what the topic
/// holds afterwards.
///
/// Each message carries its sequence number as its value (decimal text) and goes to the
/// partition `sequence % partitions`; the audit compares the reports with the log read back
/// partition by partition (``PlainConsumer/readPartitions(topic:bootstrapServers:timeoutSeconds:)``).
public struct DeliveryAudit: Sendable, CustomStringConvertible {
    /// Messages handed to the producer (accepted or refused at once).
    public var sent = 0
    /// Messages with no report at all.
    public var unreported = 0
    /// Messages with more than one report.
    public var reportedTwice = 0
    /// Reports of success.
    public var delivered = 0
    /// Failure reports (and refusals at the send), by error code.
    public var failed: [KafkaError.Code: Int] = [:]
    /// Delivered messages the log does not hold: lost.
    public var lost = 0
    /// Copies beyond the first of a message in the log.
    public var duplicates = 0
    /// Places where a partition's log holds a sequence number below one stored before it.
    public var outOfOrder = 0
    /// Messages reported failed and certainly not stored (``KafkaDeliveryReport/Persistence/notPersisted``)
    /// that the log holds anyway.
    public var failedButStored = 0
    /// Failed messages whose report said "possibly persisted", and that the log does hold.
    public var possiblyPersistedStored = 0
    /// Records in the log that no send made.
    public var unknown = 0

    public var failedCount: Int { failed.values.reduce(0, +) }

    /// - Parameters:
    ///   - sequences: the message ID of each accepted send, by sequence number (`nil` for a
    ///     send refused at once, whose error is in `refusals`).
    ///   - refusals: the error codes of sends refused at once, by sequence number.
    ///   - reports: every delivery report the producer gave.
    ///   - log: each partition's values in offset order.
    public init(
        sequences: [KafkaProducerMessageID?],
        refusals: [Int: KafkaError.Code] = [:],
        reports: [KafkaDeliveryReport],
        log: [Int32: [[UInt8]]],
        partitions: Int32
    ) {
        sent = sequences.count
        var sequenceOf: [UInt64: Int] = [:]
        sequenceOf.reserveCapacity(sequences.count)
        for (sequence, id) in sequences.enumerated() { if let id { sequenceOf[id.rawValue] = sequence } }
        var outcome = [KafkaDeliveryReport?](repeating: nil, count: sequences.count)
        var reportCount = [UInt8](repeating: 0, count: sequences.count)
        for report in reports {
            guard let sequence = sequenceOf[report.id.rawValue] else { continue }
            reportCount[sequence] &+= 1
            outcome[sequence] = report
        }
        for (sequence, code) in refusals { failed[code, default: 0] += 1; reportCount[sequence] = 1 }
        for sequence in 0..<sequences.count where sequences[sequence] != nil {
            switch reportCount[sequence] {
            case 0: unreported += 1
            case 1: break
            default: reportedTwice += 1
            }
            guard let report = outcome[sequence] else { continue }
            if report.isDelivered { delivered += 1 } else { failed[report.errorCode, default: 0] += 1 }
        }

        var copies = [UInt32](repeating: 0, count: sequences.count)
        for partition in 0..<partitions {
            var highest = -1
            for value in log[partition] ?? [] {
                guard let sequence = Int(String(decoding: value, as: UTF8.self)), sequence >= 0, sequence < sequences.count,
                      Int32(sequence % Int(partitions)) == partition
                else { unknown += 1; continue }
                copies[sequence] += 1
                if copies[sequence] > 1 { duplicates += 1 }
                if sequence < highest { outOfOrder += 1 }
                highest = max(highest, sequence)
            }
        }
        for sequence in 0..<sequences.count {
            guard let report = outcome[sequence] else { continue }
            if report.isDelivered {
                if copies[sequence] == 0 { lost += 1 }
            } else if copies[sequence] > 0 {
                if report.persistence == .notPersisted { failedButStored += 1 } else { possiblyPersistedStored += 1 }
            }
        }
    }

    /// One line for the test log (the README's table of faults is made of these).
    public var description: String {
        let failures = failed.sorted { $0.value > $1.value }.map { "\($0.key)×\($0.value)" }.joined(separator: ",")
        return "sent \(sent) delivered \(delivered) failed \(failedCount)\(failures.isEmpty ? "" : " (\(failures))")"
            + " unreported \(unreported) reported-twice \(reportedTwice) lost \(lost) duplicates \(duplicates)"
            + " out-of-order \(outOfOrder) failed-but-stored \(failedButStored) possibly-persisted-stored \(possiblyPersistedStored)"
            + " unknown \(unknown)"
    }
}

extension PlainConsumer {
    /// Reads every partition of `topic` from its low to its high watermark (asked for first),
    /// returning each partition's values in offset order.
    public static func readPartitions(topic: String, bootstrapServers: String, timeoutSeconds: Double = 60) throws -> [Int32: [[UInt8]]] {
        let partitions = try partitionCount(topic: topic, bootstrapServers: bootstrapServers)
        let conf = rd_kafka_conf_new()
        for (k, v) in [("bootstrap.servers", bootstrapServers), ("group.id", "audit-\(UUID().uuidString)"),
                       ("enable.auto.commit", "false"), ("log_level", "3"), ("enable.partition.eof", "false")] {
            rd_kafka_conf_set(conf, k, v, nil, 0)
        }
        var errstr = [CChar](repeating: 0, count: 256)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            throw Failure.create(errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        defer {
            rd_kafka_consumer_close(rk)
            rd_kafka_destroy(rk)
        }
        var ends: [Int32: Int64] = [:]
        let list = rd_kafka_topic_partition_list_new(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in 0..<partitions {
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, 10_000)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure.metadata("watermarks of \(topic)/\(p): \(String(cString: rd_kafka_err2str(err)))") }
            if high > low {
                ends[p] = high
                rd_kafka_topic_partition_list_add(list, topic, p).pointee.offset = low
            }
        }
        var log: [Int32: [[UInt8]]] = [:]
        guard !ends.isEmpty else { return log }
        let err = rd_kafka_assign(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure.consume(String(cString: rd_kafka_err2str(err))) }
        let total = ends.values.reduce(0, +)
        var read = 0
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !ends.isEmpty {
            guard Date() < deadline else { throw Failure.timedOut(got: read, wanted: Int(total)) }
            guard let message = rd_kafka_consumer_poll(rk, 200) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure.consume(String(cString: rd_kafka_err2str(m.err))) }
            read += 1
            log[m.partition, default: []].append(m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? [])
            if let end = ends[m.partition], m.offset >= end - 1 { ends[m.partition] = nil }
        }
        return log
    }
}
