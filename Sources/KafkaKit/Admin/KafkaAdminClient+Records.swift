import CLibrdkafka

extension KafkaAdminClient {
    /// Deletes the records of each partition before its offset (Kafka's DeleteRecords): the
    /// partition's first offset becomes that offset. ``KafkaOffset/end`` (-1) deletes every
    /// record the partition holds.
    ///
    /// - Returns: Each partition with its new first offset (its low watermark).
    /// - Throws: ``KafkaError`` naming the first partition refused (an offset past the end is
    ///   `OFFSET_OUT_OF_RANGE`).
    public func deleteRecords(before offsets: [KafkaTopicPartition], timeout: Duration = .seconds(30)) async throws -> [KafkaTopicPartition] {
        guard !offsets.isEmpty else { return [] }
        let handle = client.handle
        return try await request(RD_KAFKA_ADMIN_OP_DELETERECORDS, timeout: timeout) { options, queue in
            let list = RDKafkaTopicPartitionList.make(offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            var made: [OpaquePointer?] = [rd_kafka_DeleteRecords_new(list)]
            defer { rd_kafka_DeleteRecords_destroy(made[0]) }
            made.withUnsafeMutableBufferPointer { rd_kafka_DeleteRecords(handle, $0.baseAddress, 1, options, queue) }
            return nil
        } read: { event -> Result<[KafkaTopicPartition], KafkaError> in
            let list = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event))
            if let p = RDKafkaTopicPartitionList.errors(list).first {
                return .failure(KafkaError(
                    code: p.code, message: "deleting records of \(p.topic)[\(p.partition)]: \(p.code.explanation)", topic: p.topic))
            }
            return .success(Self.sorted(RDKafkaTopicPartitionList.read(list)))
        }
    }
}
