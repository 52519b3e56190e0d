import CLibrdkafka
import Foundation

/// A record as read back by ``PlainConsumer``.
public struct ConsumedRecord: Sendable, Hashable {
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [(String, [UInt8]?)]
    public var timestampMilliseconds: Int64

    public static func == (a: Self, b: Self) -> Bool {
        a.partition == b.partition && a.offset == b.offset && a.key == b.key && a.value == b.value
            && a.timestampMilliseconds == b.timestampMilliseconds
            && a.headers.map(\.0) == b.headers.map(\.0) && a.headers.map(\.1) == b.headers.map(\.1)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(partition)
        hasher.combine(offset)
    }
}

/// Reads a topic back with librdkafka's C API alone (no KafkaKit code), so round-trip tests
/// check KafkaKit's producer against an independent reader.
public enum PlainConsumer {
    public enum Failure: Error, CustomStringConvertible {
        case create(String)
        case metadata(String)
        case timedOut(got: Int, wanted: Int?)
        case consume(String)

        public var description: String {
            switch self {
            case .create(let s): "creating the consumer: \(s)"
            case .metadata(let s): "metadata: \(s)"
            case .timedOut(let got, let wanted?): "read \(got) of \(wanted) records before the deadline"
            case .timedOut(let got, nil): "read \(got) records before the deadline, not all that were wanted"
            case .consume(let s): "consume: \(s)"
            }
        }
    }

    /// The number of partitions of `topic`.
    public static func partitionCount(topic: String, bootstrapServers: String) throws -> Int32 {
        let rk = try makeClient(RD_KAFKA_PRODUCER, bootstrapServers)
        defer { rd_kafka_destroy(rk) }
        return try partitionCount(rk, topic)
    }

    /// Reads `count` records of `topic` from the beginning of every partition.
    ///
    /// Without idempotence a retried produce may be stored twice (Kafka promises at least
    /// once): to read every distinct record use ``read(topic:bootstrapServers:timeoutSeconds:until:)``.
    public static func read(topic: String, count: Int, bootstrapServers: String, timeoutSeconds: Double = 30) throws -> [ConsumedRecord] {
        try read(topic: topic, bootstrapServers: bootstrapServers, timeoutSeconds: timeoutSeconds, wanted: count) { $0.count >= count }
    }

    /// Reads `topic` from the beginning of every partition until `done` holds for the records
    /// read so far (checked after each record), or fails at the deadline.
    public static func read(
        topic: String, bootstrapServers: String, timeoutSeconds: Double = 30,
        until done: ([ConsumedRecord]) -> Bool
    ) throws -> [ConsumedRecord] {
        try read(topic: topic, bootstrapServers: bootstrapServers, timeoutSeconds: timeoutSeconds, wanted: nil, until: done)
    }

    private static func read(
        topic: String, bootstrapServers: String, timeoutSeconds: Double, wanted: Int?,
        until done: ([ConsumedRecord]) -> Bool
    ) throws -> [ConsumedRecord] {
        let rk = try makeClient(RD_KAFKA_CONSUMER, bootstrapServers)
        defer {
            rd_kafka_consumer_close(rk)
            rd_kafka_destroy(rk)
        }
        let partitions = try partitionCount(rk, topic)
        let list = rd_kafka_topic_partition_list_new(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in 0..<partitions {
            rd_kafka_topic_partition_list_add(list, topic, p).pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        let err = rd_kafka_assign(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure.consume(String(cString: rd_kafka_err2str(err))) }

        var records: [ConsumedRecord] = []
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !done(records) {
            guard Date() < deadline else { throw Failure.timedOut(got: records.count, wanted: wanted) }
            guard let message = rd_kafka_consumer_poll(rk, 200) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure.consume(String(cString: rd_kafka_err2str(m.err))) }
            var headers: [(String, [UInt8]?)] = []
            var hdrs: OpaquePointer? = nil
            if rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
                var i = 0
                var name: UnsafePointer<CChar>? = nil
                var value: UnsafeRawPointer? = nil
                var size = 0
                while rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                    headers.append((String(cString: name!), value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                    i += 1
                }
            }
            var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            records.append(ConsumedRecord(
                partition: m.partition,
                offset: m.offset,
                key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
                value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
                headers: headers,
                timestampMilliseconds: rd_kafka_message_timestamp(message, &tsType)
            ))
        }
        return records
    }

    /// How a reader sees transactions: `read_committed` (librdkafka's default) stops at the
    /// last stable offset and skips aborted records; `read_uncommitted` reads everything.
    public enum Isolation: String, Sendable {
        case readCommitted = "read_committed"
        case readUncommitted = "read_uncommitted"
    }

    /// Reads every partition of `topic` from the beginning to its end as `isolation` sees it
    /// (for `read_committed`, the last stable offset), and returns what it read.
    public static func readToEnd(
        topic: String, bootstrapServers: String, isolation: Isolation, timeoutSeconds: Double = 30
    ) throws -> [ConsumedRecord] {
        let rk = try makeClient(RD_KAFKA_CONSUMER, bootstrapServers, extra: [
            ("isolation.level", isolation.rawValue), ("enable.partition.eof", "true"),
        ])
        defer {
            rd_kafka_consumer_close(rk)
            rd_kafka_destroy(rk)
        }
        let partitions = try partitionCount(rk, topic)
        let list = rd_kafka_topic_partition_list_new(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in 0..<partitions {
            rd_kafka_topic_partition_list_add(list, topic, p).pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        let err = rd_kafka_assign(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure.consume(String(cString: rd_kafka_err2str(err))) }
        var records: [ConsumedRecord] = []
        var atEnd = Set<Int32>()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while atEnd.count < partitions {
            guard Date() < deadline else { throw Failure.timedOut(got: records.count, wanted: nil) }
            guard let message = rd_kafka_consumer_poll(rk, 200) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                atEnd.insert(m.partition)
                continue
            }
            guard m.err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw Failure.consume(String(cString: rd_kafka_err2str(m.err))) }
            var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            records.append(ConsumedRecord(
                partition: m.partition,
                offset: m.offset,
                key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
                value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
                headers: [],
                timestampMilliseconds: rd_kafka_message_timestamp(message, &tsType)
            ))
        }
        return records
    }

    private static func makeClient(_ type: rd_kafka_type_t, _ servers: String, extra: [(String, String)] = []) throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()
        var errstr = [CChar](repeating: 0, count: 256)
        for (k, v) in [("bootstrap.servers", servers), ("group.id", "plain-\(UUID().uuidString)"),
                       ("enable.auto.commit", "false"), ("log_level", "3")] + extra
        where type == RD_KAFKA_CONSUMER || k == "bootstrap.servers" || k == "log_level" {
            rd_kafka_conf_set(conf, k, v, &errstr, errstr.count)
        }
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            throw Failure.create(errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return rk
    }

    private static func partitionCount(_ rk: OpaquePointer, _ topic: String) throws -> Int32 {
        let rkt = rd_kafka_topic_new(rk, topic, nil)
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>? = nil
        for _ in 0..<20 {
            let err = rd_kafka_metadata(rk, 0, rkt, &metadata, 5000)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md = metadata else {
                throw Failure.metadata(String(cString: rd_kafka_err2str(err)))
            }
            defer { rd_kafka_metadata_destroy(md) }
            if md.pointee.topic_cnt == 1, md.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR, md.pointee.topics[0].partition_cnt > 0 {
                return md.pointee.topics[0].partition_cnt
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw Failure.metadata("topic \(topic) has no partitions")
    }
}
