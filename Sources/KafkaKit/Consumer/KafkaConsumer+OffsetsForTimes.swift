import CLibrdkafka

extension KafkaConsumer {
    /// For each partition, the earliest offset whose record's timestamp is at or after
    /// `timestampMilliseconds`, asked of the partitions' leaders (Kafka's ListOffsets by time:
    /// what kcat's `-o s@MS` starts at). A partition with no such record gets
    /// ``KafkaOffset/end`` (-1): reading there waits for new records.
    ///
    /// Runs on a thread of its own (the lookup blocks in librdkafka).
    ///
    /// - Throws: ``KafkaError`` when the lookup failed or timed out, or a partition's lookup
    ///   failed (the first such error).
    public func offsets(
        atTimestamp timestampMilliseconds: Int64,
        topic: String,
        partitions: [Int32],
        timeout: Duration = .seconds(10)
    ) async throws -> [KafkaTopicPartition] {
        let handle = UncheckedHandle(self.handle)
        let core = self.core
        let query = partitions.map { KafkaTopicPartition(topic: topic, partition: $0, offset: timestampMilliseconds) }
        return try await runBlocking { () -> Result<[KafkaTopicPartition], KafkaError> in
            _ = core
            let list = RDKafkaTopicPartitionList.make(query)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_for_times(handle.pointer, list, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .failure(KafkaError(err, topic: topic)) }
            if let error = RDKafkaTopicPartitionList.firstError(list) { return .failure(error) }
            return .success(RDKafkaTopicPartitionList.read(list))
        }.get()
    }
}
