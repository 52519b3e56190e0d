/// Where ``KafkaAdminClient/planOffsetReset(group:partitions:to:timeout:)`` moves a group's
/// committed offsets (the choices of Kafka's `kafka-consumer-groups --reset-offsets`).
public enum KafkaOffsetResetTarget: Sendable, Hashable, CustomStringConvertible {
    /// The first offset still in each partition.
    case earliest
    /// Each partition's end: the group skips everything written so far.
    case latest
    /// This offset in every partition.
    case offset(Int64)
    /// The first offset whose record's timestamp is at or after this time (milliseconds since
    /// the epoch); a partition with no such record goes to its end.
    case timestamp(Int64)
    /// The committed offset moved by this many records (back when negative).
    case shift(Int64)

    public var description: String {
        switch self {
        case .earliest: "earliest"
        case .latest: "latest"
        case .offset(let offset): "offset \(offset)"
        case .timestamp(let ms): "time \(ms)"
        case .shift(let n): "shift by \(n)"
        }
    }
}

/// The offsets a reset of a group's committed offsets would commit, partition by partition,
/// beside what is committed now and what each partition holds. Made by
/// ``KafkaAdminClient/planOffsetReset(group:partitions:to:timeout:)`` without changing anything;
/// applied by ``KafkaAdminClient/resetOffsets(_:timeout:)``.
public struct KafkaOffsetResetPlan: Sendable, Hashable {
    /// One partition's reset.
    public struct Entry: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        /// The group's committed offset, `nil` if it has none.
        public var current: Int64?
        /// The partition's first offset.
        public var earliest: Int64
        /// The partition's end (the offset the next record will get).
        public var latest: Int64
        /// The offset the group will read next once the plan is applied.
        public var target: Int64
        /// Whether the offset asked for lay outside `earliest...latest` and was moved to the
        /// nearer of the two (Kafka would otherwise reset it by `auto.offset.reset`).
        public var wasClamped: Bool

        public init(topic: String, partition: Int32, current: Int64?, earliest: Int64, latest: Int64, target: Int64, wasClamped: Bool) {
            self.topic = topic
            self.partition = partition
            self.current = current
            self.earliest = earliest
            self.latest = latest
            self.target = target
            self.wasClamped = wasClamped
        }
    }

    /// The group whose offsets are reset.
    public var group: String
    /// What was asked for.
    public var target: KafkaOffsetResetTarget
    /// One entry per partition, by topic and partition.
    public var entries: [Entry]

    public init(group: String, target: KafkaOffsetResetTarget, entries: [Entry]) {
        self.group = group
        self.target = target
        self.entries = entries
    }

    /// What a partition holds and has committed, as the plan is computed from it.
    public struct PartitionState: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        /// The group's committed offset, `nil` if none.
        public var current: Int64?
        public var earliest: Int64
        public var latest: Int64
        /// For ``KafkaOffsetResetTarget/timestamp(_:)``: the first offset at or after the time,
        /// `nil` (or -1) if no record is that recent.
        public var atTimestamp: Int64?

        public init(topic: String, partition: Int32, current: Int64?, earliest: Int64, latest: Int64, atTimestamp: Int64? = nil) {
            self.topic = topic
            self.partition = partition
            self.current = current
            self.earliest = earliest
            self.latest = latest
            self.atTimestamp = atTimestamp
        }
    }

    /// The plan for partitions in these states: the pure rule, without a cluster.
    ///
    /// - Throws: ``KafkaError/Code/invalidArgument`` for a shift of a partition that has no
    ///   committed offset to shift from.
    public init(group: String, target: KafkaOffsetResetTarget, states: [PartitionState]) throws(KafkaError) {
        var entries: [Entry] = []
        for s in states.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            let wanted: Int64
            switch target {
            case .earliest: wanted = s.earliest
            case .latest: wanted = s.latest
            case .offset(let offset): wanted = offset
            case .timestamp: wanted = s.atTimestamp.flatMap { $0 >= 0 ? $0 : nil } ?? s.latest
            case .shift(let n):
                guard let current = s.current else {
                    throw KafkaError(code: .invalidArgument, message: "group \(group) has no committed offset for \(s.topic)[\(s.partition)] to shift from", topic: s.topic)
                }
                let (sum, overflow) = current.addingReportingOverflow(n)
                wanted = overflow ? (n < 0 ? .min : .max) : sum
            }
            let target = min(max(wanted, s.earliest), max(s.earliest, s.latest))
            entries.append(Entry(topic: s.topic, partition: s.partition, current: s.current, earliest: s.earliest, latest: s.latest,
                                 target: target, wasClamped: target != wanted))
        }
        self.init(group: group, target: target, entries: entries)
    }

    /// The offsets to commit.
    public var offsets: [KafkaTopicPartition] {
        entries.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition, offset: $0.target) }
    }
}
