/// A partition of a topic, with an offset where one applies (a commit, a position, a seek).
public struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition number.
    public var partition: Int32
    /// The offset: the next one to read (positions, commits), or a logical offset
    /// (``KafkaOffset/beginning``, ...). ``KafkaOffset/invalid`` when it does not apply.
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64 = KafkaOffset.invalid) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String {
        offset == KafkaOffset.invalid ? "\(topic)[\(partition)]" : "\(topic)[\(partition)]@\(offset)"
    }
}

/// librdkafka's logical offsets.
public enum KafkaOffset {
    /// The first offset still in the partition.
    public static let beginning: Int64 = -2
    /// The offset after the last message: only new messages.
    public static let end: Int64 = -1
    /// The offset committed for the consumer group.
    public static let stored: Int64 = -1000
    /// No offset.
    public static let invalid: Int64 = -1001

    /// `n` messages before the end (the Tcl binding's `-N`).
    public static func fromEnd(_ n: Int64) -> Int64 { -2000 - n }
}
