import CLibrdkafka

/// Owns a batch of consumed `rd_kafka_message_t`s and destroys them when the last
/// ``KafkaConsumerMessage`` referring to it goes: one allocation per batch, none per message,
/// and payloads are read in place.
///
/// `@unchecked Sendable`: the messages are never mutated after the batch is made.
@usableFromInline
final class RDKafkaMessageBatch: @unchecked Sendable {
    let messages: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    @usableFromInline let count: Int
    /// Messages must be destroyed before their client: a message kept after its consumer is
    /// gone keeps the client alive.
    let client: RDKafkaClient

    /// Takes ownership of the first `count` messages of `messages` (a buffer it then owns).
    init(messages: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>, count: Int, client: RDKafkaClient) {
        self.messages = messages
        self.count = count
        self.client = client
    }

    deinit {
        for i in 0..<count { rd_kafka_message_destroy(messages[i]) }
        messages.deallocate()
    }
}
