import CLibrdkafka

/// Owns an `rd_kafka_queue_t` and the client it belongs to, so the queue is always destroyed
/// before the client is.
///
/// `@unchecked Sendable`: librdkafka queues are thread-safe; the class only holds `let`s.
final class RDKafkaQueue: @unchecked Sendable {
    let client: RDKafkaClient
    let handle: OpaquePointer

    /// Takes ownership of `handle`.
    init(client: RDKafkaClient, handle: OpaquePointer) {
        self.client = client
        self.handle = handle
    }

    /// A new queue of the client (for partition consumers routed together).
    convenience init(newOn client: RDKafkaClient) {
        self.init(client: client, handle: rd_kafka_queue_new(client.handle))
    }

    deinit {
        rd_kafka_queue_destroy(handle)
    }
}
