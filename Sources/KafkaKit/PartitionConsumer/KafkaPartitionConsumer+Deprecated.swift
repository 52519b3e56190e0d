import CLibrdkafka

/// The `Int32`-partition forms of the first release, kept so existing code still compiles.
/// Disfavoured, so that integer literals pick the ``KafkaPartition`` forms.
extension KafkaPartitionConsumer {
    @available(*, deprecated, message: "pass a KafkaPartition")
    @_disfavoredOverload
    public func start(topic: String, partition: Int32, at offset: KafkaOffset) throws {
        try start(topic: topic, partition: KafkaPartition(partition), at: offset)
    }

    @available(*, deprecated, message: "pass a KafkaPartition")
    @_disfavoredOverload
    public func start(topic: String, partition: Int32, at offset: KafkaOffset, queue: KafkaMessageQueue) throws {
        try start(topic: topic, partition: KafkaPartition(partition), at: offset, queue: queue)
    }

    /// Stops a partition, blocking the calling thread while librdkafka stops fetching it.
    @available(*, deprecated, message: "blocks the calling thread: use the async stop(topic:partition:)")
    @_disfavoredOverload
    public func stop(topic: String, partition: Int32) throws {
        guard let started = removeStarted(topic: topic, partition: partition) else { throw KafkaError.notStarted(topic, partition) }
        started.waiter?.close()
        if let error = started.stopBlocking() { throw error }
    }

    @available(*, deprecated, message: "pass a KafkaPartition")
    @_disfavoredOverload
    public func consume(topic: String, partition: Int32, timeout: Duration) async throws -> KafkaConsumerMessage? {
        try await consume(topic: topic, partition: KafkaPartition(partition), timeout: timeout)
    }

    @available(*, deprecated, message: "pass a KafkaPartition")
    @_disfavoredOverload
    public func consumeBatch(topic: String, partition: Int32, maxCount: Int, timeout: Duration) async throws -> KafkaConsumerBatch {
        try await consumeBatch(topic: topic, partition: KafkaPartition(partition), maxCount: maxCount, timeout: timeout)
    }
}
