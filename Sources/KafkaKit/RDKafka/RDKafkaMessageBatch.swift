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
    /// A group consumer's assignment version (``ConsumerAssignmentLedger``) before the batch
    /// was taken: its records are stale for any partition revoked after it.
    let assignmentVersion: UInt64

    /// Takes ownership of the first `count` messages of `messages` (a buffer it then owns).
    init(
        messages: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>, count: Int, client: RDKafkaClient,
        assignmentVersion: UInt64 = 0
    ) {
        self.messages = messages
        self.count = count
        self.client = client
        self.assignmentVersion = assignmentVersion
    }

    deinit {
        for i in 0..<count { rd_kafka_message_destroy(messages[i]) }
        messages.deallocate()
    }
}
