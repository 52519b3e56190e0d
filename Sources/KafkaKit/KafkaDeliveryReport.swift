#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The outcome of one produced message: where it was stored, or why it was not.
public struct KafkaDeliveryReport: Sendable, Hashable {
    /// The ID ``KafkaProducer/send(_:)`` returned for the message.
    public var id: KafkaProducerMessageID
    /// The topic of the message.
    public var topic: String
    /// The partition the message went to (`-1` if it failed before one was chosen).
    public var partition: Int32
    /// The offset of the stored message (`-1` if it was not stored or `acks=0`).
    public var offset: Int64
    /// The timestamp of the stored message, if the broker reported one.
    public var timestamp: Date?
    /// `nil` when the message was delivered, else why it was not.
    public var error: KafkaError?

    public init(
        id: KafkaProducerMessageID,
        topic: String,
        partition: Int32,
        offset: Int64,
        timestamp: Date?,
        error: KafkaError?
    ) {
        self.id = id
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.error = error
    }

    /// Whether the broker acknowledged the message.
    public var isDelivered: Bool { error == nil }
}
