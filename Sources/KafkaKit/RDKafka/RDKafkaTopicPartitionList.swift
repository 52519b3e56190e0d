import CLibrdkafka

/// Conversions between `rd_kafka_topic_partition_list_t` and ``KafkaTopicPartition``.
enum RDKafkaTopicPartitionList {
    /// A new C list the caller must destroy.
    static func make(_ partitions: [KafkaTopicPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: partitions.count))!
        for p in partitions {
            rd_kafka_topic_partition_list_add(list, p.topic, p.partition).pointee.offset = p.offset
        }
        return list
    }

    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartition] {
        guard let list else { return [] }
        return (0..<Int(list.pointee.cnt)).map { i in
            let e = list.pointee.elems[i]
            return KafkaTopicPartition(topic: String(cString: e.topic), partition: e.partition, offset: e.offset)
        }
    }

    /// The first per-partition error of a list, if any.
    static func firstError(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> KafkaError? {
        guard let list else { return nil }
        for i in 0..<Int(list.pointee.cnt) where list.pointee.elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let e = list.pointee.elems[i]
            var error = KafkaError(e.err, topic: String(cString: e.topic))
            error.message += " (partition \(e.partition))"
            return error
        }
        return nil
    }
}
