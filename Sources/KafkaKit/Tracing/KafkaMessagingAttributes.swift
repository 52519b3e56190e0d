/// The span names and attributes of OpenTelemetry's messaging semantic conventions that
/// KafkaKit's spans carry, in one place.
enum KafkaMessagingAttributes {
    static let system = "messaging.system"
    static let operationType = "messaging.operation.type"
    static let operationName = "messaging.operation.name"
    static let destinationName = "messaging.destination.name"
    static let partitionID = "messaging.destination.partition.id"
    static let offset = "messaging.kafka.offset"
    static let messageKey = "messaging.kafka.message.key"
    static let tombstone = "messaging.kafka.message.tombstone"
    static let consumerGroup = "messaging.consumer.group.name"
    static let clientID = "messaging.client.id"
    static let bodySize = "messaging.message.body.size"
    static let errorType = "error.type"

    /// `messaging.system`'s value for Kafka.
    static let kafka = "kafka"
    /// The operation (`messaging.operation.name`, and the span name's first word) of a send.
    static let send = "send"
    /// The operation of processing a consumed record.
    static let process = "process"

    /// A key as the attribute shows it: UTF-8 text only (binary keys are left out).
    static func keyText(_ key: UnsafeRawBufferPointer?) -> String? {
        guard let key else { return nil }
        return String(validating: key, as: UTF8.self)
    }
}
