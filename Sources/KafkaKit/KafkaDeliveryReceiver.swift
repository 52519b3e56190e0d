/// Receives the delivery report of one message sent with
/// ``KafkaProducer/trySend(_:reportingTo:)``: subclass it, keep in it what the report needs
/// (the message, a request to answer), and override ``received(_:)``.
///
/// The receiver travels through librdkafka as the message's opaque, so a per-message outcome
/// costs one object — the receiver — instead of a closure and a box. Use one receiver per
/// message.
open class KafkaDeliveryReceiver: @unchecked Sendable {
    /// Set by the producer before the message is queued; read when its report is made.
    final var messageID = KafkaProducerMessageID(rawValue: 0)

    public init() {}

    /// Called exactly once with the message's outcome (delivered, or the error saying why
    /// not), on a KafkaKit thread: keep it short, never block in it.
    open func received(_ report: KafkaDeliveryReport) {}
}
