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

    /// Takes ownership of the first `count` messages of `messages` (a buffer it then owns).
    init(messages: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>, count: Int) {
        self.messages = messages
        self.count = count
    }

    deinit {
        for i in 0..<count { rd_kafka_message_destroy(messages[i]) }
        messages.deallocate()
    }
}
