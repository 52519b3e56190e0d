/// A partition of a topic, with an offset where one applies (a commit, a position, a seek).
public struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition number.
    public var partition: Int32
    /// The offset: the next one to read (positions, commits), or a logical offset
    /// (``KafkaOffset/beginning``, ...). ``KafkaOffset/invalid`` when it does not apply.
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64 = KafkaOffset.invalid.rawValue) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String {
        offset == KafkaOffset.invalid.rawValue ? "\(topic)[\(partition)]" : "\(topic)[\(partition)]@\(offset)"
    }
}
