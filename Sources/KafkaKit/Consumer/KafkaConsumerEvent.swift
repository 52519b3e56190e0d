/// Something a consumer reports besides messages.
public enum KafkaConsumerEvent: Sendable {
    /// Partitions were assigned to this consumer (with the incremental protocols: added).
    case partitionsAssigned([KafkaTopicPartition])
    /// Partitions were taken away in an orderly rebalance (their offsets could be committed).
    case partitionsRevoked([KafkaTopicPartition])
    /// Partitions were lost (session timed out, fenced): another member may already own them.
    case partitionsLost([KafkaTopicPartition])
    /// An asynchronous commit finished: the offsets, and the error if it failed.
    case offsetsCommitted([KafkaTopicPartition], KafkaError?)
    /// The end of a partition was reached (only with `enable.partition.eof=true`).
    case partitionEOF(KafkaTopicPartition)
    /// A client-level error; librdkafka keeps retrying unless ``KafkaError/isFatal``.
    case error(KafkaError)
    /// librdkafka's statistics JSON, every `statistics.interval.ms`.
    case statistics(String)
}
