import Synchronization

/// Receives the delivery report of one message sent with
/// ``KafkaProducer/trySend(_:reportingTo:)``: subclass it, keep in it what the report needs
/// (the message, a request to answer), and override ``received(_:)``.
///
/// The receiver travels through librdkafka as the message's opaque, so a per-message outcome
/// costs one object — the receiver — instead of a closure and a box. One receiver carries one
/// message at a time: sending with a receiver whose message is still in flight fails.
///
/// Unchecked Sendable: the producer hands the receiver to librdkafka and takes it back with
/// the report, with librdkafka's queue ordering the two; subclasses must keep their own state
/// safe to read from the thread that serves reports.
open class KafkaDeliveryReceiver: @unchecked Sendable {
    /// Set by the producer before the message is queued; read when its report is made.
    final var messageID = KafkaProducerMessageID(rawValue: 0)
    /// Whether the receiver carries a message that has no report yet.
    final let inFlight = Atomic<Bool>(false)

    public init() {}

    /// Called exactly once with the message's outcome (delivered, or the error saying why
    /// not), on the thread that serves reports — often a sending thread, inside a later send —
    /// so keep it short, never block in it, and never take a lock held around sends.
    open func received(_ report: KafkaDeliveryReport) {}
}
