/// A topic to create.
public struct KafkaNewTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    /// `-1`: the broker's default.
    public var replicationFactor: Int32
    /// Topic configuration (`cleanup.policy`, `retention.ms`, ...).
    public var config: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int32 = -1, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// Something whose configuration can be described.
public enum KafkaConfigResource: Sendable, Hashable {
    case topic(String)
    case broker(Int32)
}

/// One configuration entry of a topic or broker, as the broker describes it.
public struct KafkaResourceConfigEntry: Sendable, Hashable {
    public var name: String
    /// `nil` for sensitive entries (the broker does not disclose them) or unset ones.
    public var value: String?
    public var isDefault: Bool
    public var isReadOnly: Bool
    public var isSensitive: Bool
}

/// A consumer group as listed by the cluster.
public struct KafkaConsumerGroupListing: Sendable, Hashable {
    public var groupID: String
    /// Whether the group is a "simple" one (offsets only, no members joining).
    public var isSimple: Bool
    /// librdkafka's name of the group's state (`Stable`, `Empty`, `PreparingRebalance`, ...).
    public var state: String
}

/// Which offset of a partition to look up.
public enum KafkaOffsetQuery: Sendable, Hashable {
    /// The first offset still in the partition.
    case earliest
    /// The offset the next record will get.
    case latest
    /// The first offset whose timestamp is at or after this time (milliseconds since the epoch).
    case timestamp(Int64)
    /// The offset of the record with the largest timestamp.
    case maxTimestamp
}

/// The answer to a ``KafkaOffsetQuery`` for one partition.
public struct KafkaListedOffset: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// `-1` if no record matches (e.g. a timestamp after the last record).
    public var offset: Int64
    /// The timestamp of the record at ``offset`` (`-1` if none).
    public var timestamp: Int64
}
