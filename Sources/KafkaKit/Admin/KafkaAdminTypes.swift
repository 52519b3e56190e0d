import CLibrdkafka

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
    /// Where the value comes from: set on the topic, on the broker, or the built-in default.
    public var source: Source = .unknown

    /// Where a configuration value comes from (librdkafka's `rd_kafka_ConfigSource_t`).
    public struct Source: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// The broker did not say.
        public static let unknown = Source(rawValue: Int32(RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG.rawValue))
        /// Set for this topic.
        public static let dynamicTopic = Source(rawValue: Int32(RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG.rawValue))
        /// Set for this broker at run time.
        public static let dynamicBroker = Source(rawValue: Int32(RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG.rawValue))
        /// Set at run time as the default of every broker.
        public static let dynamicDefaultBroker = Source(rawValue: Int32(RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG.rawValue))
        /// From the broker's properties file.
        public static let staticBroker = Source(rawValue: Int32(RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG.rawValue))
        /// Kafka's built-in default.
        public static let `default` = Source(rawValue: Int32(RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG.rawValue))

        /// librdkafka's name of the source (`DYNAMIC_TOPIC_CONFIG`, `DEFAULT_CONFIG`, ...).
        public var description: String {
            // Only the sources librdkafka names: its table has gaps (6 and 7), and no entry past its end.
            let named: Set<Int32> = [0, 1, 2, 3, 4, 5, 8]
            guard named.contains(rawValue) else { return "SOURCE_\(rawValue)" }
            return String(cString: rd_kafka_ConfigSource_name(rd_kafka_ConfigSource_t(rawValue: UInt32(rawValue))))
        }
    }

    /// Whether the value was set for this resource or its broker, rather than being Kafka's
    /// built-in default.
    public var differsFromDefault: Bool { !isDefault && source != .default }
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
