import CLibrdkafka

extension KafkaError.Code {
    /// Another call that conflicts with this one is still running (two concurrent transaction
    /// commits, ...; librdkafka's `_CONFLICT`).
    public static let conflict = KafkaError.Code(RD_KAFKA_RESP_ERR__CONFLICT)
    /// The call needs a configuration property that is not set (transactions need
    /// `transactional.id`; librdkafka's `_NOT_CONFIGURED`).
    public static let notConfigured = KafkaError.Code(RD_KAFKA_RESP_ERR__NOT_CONFIGURED)
    /// This transactional producer was fenced: another one with the same `transactional.id`
    /// took over (librdkafka's `_FENCED`).
    public static let fenced = KafkaError.Code(RD_KAFKA_RESP_ERR__FENCED)
    /// The broker says a newer producer with the same `transactional.id` exists.
    public static let producerFenced = KafkaError.Code(RD_KAFKA_RESP_ERR_PRODUCER_FENCED)
    /// The broker refused the producer's epoch: a newer producer with its ID exists.
    public static let invalidProducerEpoch = KafkaError.Code(RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)
}

extension KafkaError {
    /// Whether a transactional producer was fenced: another producer with the same
    /// `transactional.id` has taken over. librdkafka treats a record the broker refused this
    /// way as an error that requires abort; the abort is then fatal — make a new producer.
    /// (``Code/invalidProducerEpoch`` counts only when fatal: short of that it may also mean
    /// the coordinator timed the transaction out, which an abort recovers from.)
    public var isFenced: Bool {
        code == .fenced || code == .producerFenced || (code == .invalidProducerEpoch && isFatal)
    }
}
