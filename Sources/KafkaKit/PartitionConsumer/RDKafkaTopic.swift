import CLibrdkafka

/// Owns an `rd_kafka_topic_t` (and keeps its client alive).
///
/// `@unchecked Sendable`: librdkafka topic handles are thread-safe; only `let`s.
final class RDKafkaTopic: @unchecked Sendable {
    let client: RDKafkaClient
    let handle: OpaquePointer
    let name: String

    /// The properties the handle was made with, beyond the client's default topic configuration.
    let properties: [String: String]

    init(client: RDKafkaClient, name: String) {
        self.client = client
        self.name = name
        self.properties = [:]
        self.handle = rd_kafka_topic_new(client.handle, name, nil)
    }

    /// A handle with a topic configuration of its own (see ``RDKafkaClient/makeTopic(_:properties:)``).
    init(client: RDKafkaClient, name: String, properties: [String: String]) throws(KafkaError) {
        self.client = client
        self.name = name
        self.properties = properties
        self.handle = try client.makeTopic(name, properties: properties)
    }

    deinit { rd_kafka_topic_destroy(handle) }
}
