import CLibrdkafka

/// Owns an `rd_kafka_topic_t` (and keeps its client alive).
///
/// `@unchecked Sendable`: librdkafka topic handles are thread-safe; only `let`s.
final class RDKafkaTopic: @unchecked Sendable {
    let client: RDKafkaClient
    let handle: OpaquePointer
    let name: String

    init(client: RDKafkaClient, name: String) {
        self.client = client
        self.name = name
        self.handle = rd_kafka_topic_new(client.handle, name, nil)
    }

    deinit { rd_kafka_topic_destroy(handle) }
}
