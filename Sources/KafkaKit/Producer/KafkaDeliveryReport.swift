#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The outcome of one produced message: where it was stored, or why it was not.
///
/// Compact on purpose (about 50 bytes): reports of fire-and-forget sends are buffered in bulk.
public struct KafkaDeliveryReport: Sendable, Hashable {
    /// The ID ``KafkaProducer/send(_:)`` returned for the message.
    public var id: KafkaProducerMessageID
    /// The topic of the message.
    public var topic: String
    /// The partition the message went to (`-1` if it failed before one was chosen).
    public var partition: Int32
    /// The offset of the stored message (`-1` if it was not stored or `acks=0`).
    public var offset: Int64
    /// The message timestamp in milliseconds since the epoch, or `-1` if the broker gave none.
    public var timestampMilliseconds: Int64
    /// librdkafka's error code: ``KafkaError/Code/noError`` when the message was delivered.
    public var errorCode: KafkaError.Code
    /// Whether the broker may have stored the message: ``Persistence/persisted`` when it was
    /// delivered; for a failed message, whether it may still be in the log (a request that
    /// timed out after it was sent) or certainly is not.
    public var persistence: Persistence

    /// librdkafka's persistence status of a message (`rd_kafka_message_status`).
    public enum Persistence: UInt8, Sendable, Hashable {
        /// Never sent, or the broker refused it: the message is not in the log. Resending it
        /// cannot duplicate it.
        case notPersisted
        /// Sent, but no acknowledgement came (a timeout or a lost connection): the message may
        /// be in the log. Resending it may duplicate it.
        case possiblyPersisted
        /// Acknowledged by the broker.
        case persisted
    }

    public init(
        id: KafkaProducerMessageID,
        topic: String,
        partition: Int32,
        offset: Int64,
        timestampMilliseconds: Int64,
        errorCode: KafkaError.Code,
        persistence: Persistence? = nil
    ) {
        self.id = id
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestampMilliseconds = timestampMilliseconds
        self.errorCode = errorCode
        self.persistence = persistence ?? (errorCode == .noError ? .persisted : .notPersisted)
    }

    /// Whether the broker acknowledged the message.
    public var isDelivered: Bool { errorCode == .noError }

    /// `nil` when the message was delivered, else why it was not.
    public var error: KafkaError? {
        guard errorCode != .noError else { return nil }
        return KafkaError(code: errorCode, topic: topic)
    }

    /// The timestamp of the stored message, if the broker reported one.
    public var timestamp: Date? {
        timestampMilliseconds < 0 ? nil : Date(timeIntervalSince1970: Double(timestampMilliseconds) / 1000)
    }
}
