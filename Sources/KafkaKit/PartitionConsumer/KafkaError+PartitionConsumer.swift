import CLibrdkafka

extension KafkaError.Code {
    /// The call does not fit the client's state: a partition read that was not started, or
    /// read other than the way it was started (librdkafka's `_STATE`).
    public static let invalidState = KafkaError.Code(RD_KAFKA_RESP_ERR__STATE)
}

extension KafkaError {
    /// A read of a partition that was never started, or was stopped.
    static func notStarted(_ topic: String, _ partition: Int32) -> KafkaError {
        KafkaError(
            code: .invalidState,
            message: "consuming \(topic)[\(partition)]: the partition was not started (or was stopped)",
            topic: topic)
    }

    /// A direct read of a partition that was started into a queue.
    static func routedToQueue(_ topic: String, _ partition: Int32) -> KafkaError {
        KafkaError(
            code: .invalidState,
            message: "consuming \(topic)[\(partition)]: the partition was started into a queue; read it with the queue's consume",
            topic: topic)
    }

    /// A started partition the cluster's topic does not have.
    static func missingPartition(_ topic: String, _ partition: Int32, partitionCount: Int) -> KafkaError {
        KafkaError(
            code: .unknownPartition,
            message: "consuming \(topic)[\(partition)]: the partition does not exist (the topic has \(partitionCount) partition\(partitionCount == 1 ? "" : "s"))",
            topic: topic)
    }

    /// A started partition whose topic the cluster does not know, after a read found nothing.
    /// Retriable: the topic may be created yet, and the partition is then read.
    static func missingTopic(_ topic: String, _ partition: Int32) -> KafkaError {
        KafkaError(
            code: KafkaError.Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART),
            message: "consuming \(topic)[\(partition)]: the topic does not exist (nothing came, and the cluster does not know it)",
            isRetriable: true,
            topic: topic)
    }

    /// librdkafka's legacy API reports through `errno`-style thread-local state: read it on the
    /// same thread, right after the failing call.
    static func lastError(_ doing: String, _ topic: String, _ partition: Int32) -> KafkaError {
        let err = rd_kafka_last_error()
        return KafkaError(err, message: "\(doing) \(topic)[\(partition)]: \(KafkaError.Code(err).explanation)", topic: topic)
    }
}
