/// Something a producer reports besides the result of an awaited send.
public enum KafkaProducerEvent: Sendable {
    /// Delivery reports of fire-and-forget sends, in the order librdkafka gave them
    /// (per partition: in offset order).
    case deliveryReports([KafkaDeliveryReport])
    /// A client-level error, such as all brokers being down; librdkafka keeps retrying unless
    /// ``KafkaError/isFatal`` is set.
    case error(KafkaError)
    /// librdkafka's statistics JSON, emitted every `statistics.interval.ms`.
    case statistics(String)
}
