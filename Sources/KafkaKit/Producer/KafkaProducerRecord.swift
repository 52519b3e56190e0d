#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A record to produce: topic, optional partition, optional key, value, headers and timestamp.
///
/// Byte arrays are passed to librdkafka without conversion; reusing one array for many records
/// costs nothing per record (it is copied by librdkafka, not by KafkaKit).
public struct KafkaProducerRecord: Sendable, Hashable {
    /// The topic to produce to.
    public var topic: String
    /// The partition, or `nil` to let the configured partitioner choose (by key, if there is one).
    public var partition: Int32?
    /// The record key, or `nil` for none.
    public var key: [UInt8]?
    /// The record value, or `nil` for a tombstone (deletes the key in a compacted topic).
    public var value: [UInt8]?
    /// Headers, in order; names may repeat.
    public var headers: [KafkaHeader]
    /// The record's timestamp, or `nil` for the time it is produced.
    public var timestamp: Date?

    public init(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]? = nil,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        timestamp: Date? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// A record with a UTF-8 string key and value.
    public init(
        topic: String,
        partition: Int32? = nil,
        key: String? = nil,
        value: String?,
        headers: [KafkaHeader] = [],
        timestamp: Date? = nil
    ) {
        self.init(
            topic: topic,
            partition: partition,
            key: key.map { Array($0.utf8) },
            value: value.map { Array($0.utf8) },
            headers: headers,
            timestamp: timestamp
        )
    }

    /// A tombstone: a record with a key and no value.
    public static func tombstone(topic: String, partition: Int32? = nil, key: [UInt8]) -> Self {
        Self(topic: topic, partition: partition, key: key, value: nil)
    }
}
