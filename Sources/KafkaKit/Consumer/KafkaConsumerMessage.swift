import CLibrdkafka
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A consumed record: topic, partition, offset, key, value, headers and timestamp.
///
/// The record's bytes stay in librdkafka's buffer: ``key`` and ``value`` copy them into arrays
/// when asked, while ``withUnsafeValue(_:)`` and ``withUnsafeKey(_:)`` read them in place. A
/// message keeps its whole fetched batch alive, so do not hold on to messages longer than
/// needed.
public struct KafkaConsumerMessage: Sendable {
    @usableFromInline let batch: RDKafkaMessageBatch
    @usableFromInline let index: Int

    @usableFromInline
    init(batch: RDKafkaMessageBatch, index: Int) {
        self.batch = batch
        self.index = index
    }

    var pointer: UnsafeMutablePointer<rd_kafka_message_t> { batch.messages[index]! }

    /// The topic the record was read from.
    public var topic: String { String(cString: rd_kafka_topic_name(pointer.pointee.rkt)) }
    /// librdkafka's handle of the record's topic: the same for every record of a topic, so a
    /// reader can convert the topic's name once (package use: the Tcl binding's arrays).
    package var topicIdentity: OpaquePointer? { pointer.pointee.rkt }
    /// The partition the record was read from.
    public var partition: Int32 { pointer.pointee.partition }
    /// The record's offset in its partition.
    public var offset: Int64 { pointer.pointee.offset }

    /// The record's key, or `nil` if it has none.
    public var key: [UInt8]? { withUnsafeKey { $0.map(Array.init) } }
    /// The record's value, or `nil` for a tombstone.
    public var value: [UInt8]? { withUnsafeValue { $0.map(Array.init) } }
    /// The key as UTF-8 text (invalid sequences repaired), or `nil` if there is no key.
    public var keyString: String? { withUnsafeKey { $0.map { String(decoding: $0, as: UTF8.self) } } }
    /// The value as UTF-8 text (invalid sequences repaired), or `nil` for a tombstone.
    public var valueString: String? { withUnsafeValue { $0.map { String(decoding: $0, as: UTF8.self) } } }
    /// Whether the record has no value (deletes its key in a compacted topic).
    public var isTombstone: Bool { pointer.pointee.payload == nil }

    /// Reads the value in place; `nil` for a tombstone. The buffer is valid only in `body`.
    public func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        let m = pointer.pointee
        return try body(m.payload.map { UnsafeRawBufferPointer(start: $0, count: m.len) })
    }

    /// Reads the key in place; `nil` if there is none. The buffer is valid only in `body`.
    public func withUnsafeKey<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        let m = pointer.pointee
        return try body(m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) })
    }

    /// The record's headers, in order.
    public var headers: [KafkaHeader] {
        var hdrs: OpaquePointer? = nil
        guard rd_kafka_message_headers(pointer, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
        var result: [KafkaHeader] = []
        var name: UnsafePointer<CChar>? = nil
        var value: UnsafeRawPointer? = nil
        var size = 0
        var i = 0
        while rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            result.append(KafkaHeader(key: String(cString: name!), value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
            i += 1
        }
        return result
    }

    /// What the timestamp means.
    public enum TimestampType: Sendable, Hashable {
        /// Set by the producer (or its application).
        case createTime
        /// Set by the broker when it appended the record.
        case logAppendTime
    }

    /// The record's timestamp in milliseconds since the epoch, or `nil` if it has none.
    public var timestampMilliseconds: Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(pointer, &type)
        return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ms
    }

    /// The record's timestamp, or `nil` if it has none.
    public var timestamp: Date? {
        timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// Whether the timestamp was set at creation or at log append; `nil` if there is none.
    public var timestampType: TimestampType? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        _ = rd_kafka_message_timestamp(pointer, &type)
        switch type {
        case RD_KAFKA_TIMESTAMP_CREATE_TIME: return .createTime
        case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: return .logAppendTime
        default: return nil
        }
    }

    /// The position to commit after processing this record (its offset + 1).
    public var nextPosition: KafkaTopicPartition {
        KafkaTopicPartition(topic: topic, partition: partition, offset: offset + 1)
    }
}

/// Messages consumed together, in the order librdkafka delivered them. A `RandomAccessCollection`
/// with no per-message allocation.
public struct KafkaConsumerBatch: RandomAccessCollection, Sendable {
    let storage: RDKafkaMessageBatch
    /// The messages of `storage` this batch holds (a batch a message loop left unfinished
    /// continues after the messages it handed out).
    let range: Range<Int>

    init(storage: RDKafkaMessageBatch, range: Range<Int>? = nil) {
        self.storage = storage
        self.range = range ?? 0..<storage.count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { range.count }
    public subscript(position: Int) -> KafkaConsumerMessage {
        precondition(position >= 0 && position < range.count, "index out of range")
        return KafkaConsumerMessage(batch: storage, index: range.lowerBound + position)
    }
}
