/// A consumer group as its coordinator describes it: state, protocol, members and what each
/// member is assigned (``KafkaAdminClient/describeConsumerGroups(_:timeout:)``).
///
/// Only consumer groups are described (protocol type `consumer`): librdkafka reports a group
/// of another protocol type (Kafka Connect's, say) as an error.
public struct KafkaConsumerGroupDescription: Sendable, Hashable {
    /// A member of the group.
    public struct Member: Sendable, Hashable {
        /// The member ID the coordinator gave the member.
        public var memberID: String
        /// The member's `group.instance.id` if it is a static member.
        public var groupInstanceID: String?
        /// The member's `client.id`.
        public var clientID: String
        /// The host the member connects from, as the broker sees it (such as `/127.0.0.1`).
        public var host: String
        /// The partitions assigned to the member (their offsets are ``KafkaOffset/invalid``).
        public var assignment: [KafkaTopicPartition]
        /// KIP-848 (`consumer` type) groups: the assignment the coordinator is moving the
        /// member to; `nil` in classic groups.
        public var targetAssignment: [KafkaTopicPartition]?

        public init(memberID: String, groupInstanceID: String? = nil, clientID: String, host: String,
                    assignment: [KafkaTopicPartition], targetAssignment: [KafkaTopicPartition]? = nil) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.clientID = clientID
            self.host = host
            self.assignment = assignment
            self.targetAssignment = targetAssignment
        }
    }

    /// The group's ID.
    public var groupID: String
    /// librdkafka's name of the group's state: `Stable`, `Empty`, `PreparingRebalance`,
    /// `CompletingRebalance`, `Dead` (a group the coordinator does not know), `Unknown`.
    public var state: String
    /// The group's protocol: `classic` (JoinGroup/SyncGroup) or `consumer` (KIP-848);
    /// `Unknown` when the broker does not say.
    public var type: String
    /// The partition assignment strategy the members agreed on (`range`, `roundrobin`,
    /// `cooperative-sticky`, ...): the group's protocol name; empty while it has no members.
    public var partitionAssignor: String
    /// Whether it is a "simple" group: offsets committed without members joining.
    public var isSimple: Bool
    /// The ID of the broker coordinating the group, if it said.
    public var coordinatorID: Int32?
    /// The group's members (none for an empty group).
    public var members: [Member]

    public init(groupID: String, state: String, type: String, partitionAssignor: String, isSimple: Bool,
                coordinatorID: Int32?, members: [Member]) {
        self.groupID = groupID
        self.state = state
        self.type = type
        self.partitionAssignor = partitionAssignor
        self.isSimple = isSimple
        self.coordinatorID = coordinatorID
        self.members = members
    }

    /// The member a partition is assigned to, if any.
    public func member(assigned topic: String, partition: Int32) -> Member? {
        members.first { $0.assignment.contains { $0.topic == topic && $0.partition == partition } }
    }
}
