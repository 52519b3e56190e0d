import CLibrdkafka

extension KafkaAdminClient {
    /// Computes where a reset would move a group's committed offsets, changing nothing: the
    /// dry run of Kafka's `kafka-consumer-groups --reset-offsets`.
    ///
    /// - Parameters:
    ///   - group: The consumer group.
    ///   - partitions: The partitions to reset (their offsets are ignored).
    ///   - target: Where to move each partition's committed offset.
    ///   - timeout: How long to wait for each lookup.
    /// - Throws: ``KafkaError`` if a lookup fails, or for a shift of a partition with no
    ///   committed offset.
    public func planOffsetReset(group: String, partitions: [KafkaTopicPartition], to target: KafkaOffsetResetTarget, timeout: Duration = .seconds(30)) async throws -> KafkaOffsetResetPlan {
        let partitions = Self.sorted(partitions.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition) })
        guard !partitions.isEmpty else { return KafkaOffsetResetPlan(group: group, target: target, entries: []) }
        let committed = try await listConsumerGroupOffsets(group: group, partitions: partitions, timeout: timeout)
        let earliest = try await listOffsets(partitions, query: .earliest, timeout: timeout)
        let latest = try await listOffsets(partitions, query: .latest, timeout: timeout)
        var atTime: [KafkaListedOffset] = []
        if case .timestamp(let ms) = target { atTime = try await listOffsets(partitions, query: .timestamp(ms), timeout: timeout) }
        func find<T>(_ list: [T], _ p: KafkaTopicPartition, _ topic: KeyPath<T, String>, _ partition: KeyPath<T, Int32>) -> T? {
            list.first { $0[keyPath: topic] == p.topic && $0[keyPath: partition] == p.partition }
        }
        let states = try partitions.map { p throws(KafkaError) -> KafkaOffsetResetPlan.PartitionState in
            guard let first = find(earliest, p, \.topic, \.partition), let end = find(latest, p, \.topic, \.partition) else {
                throw KafkaError(code: .unknownTopicOrPartition, message: "no offsets listed for \(p.topic)[\(p.partition)]", topic: p.topic)
            }
            return KafkaOffsetResetPlan.PartitionState(
                topic: p.topic, partition: p.partition, current: find(committed, p, \.topic, \.partition)?.offset,
                earliest: first.offset, latest: end.offset, atTimestamp: find(atTime, p, \.topic, \.partition)?.offset)
        }
        return try KafkaOffsetResetPlan(group: group, target: target, states: states)
    }

    /// Commits a reset plan's offsets for its group — only while the group has no members, as
    /// their own commits would race the reset (Kafka refuses it too).
    ///
    /// A group counts as having members when it lists any, or when its state is neither
    /// `Empty` nor `Dead` (some brokers, Tansu 0.6.0 among them, describe a `Stable` group
    /// without its members).
    ///
    /// - Throws: ``KafkaError`` with code `NON_EMPTY_GROUP` naming the members' client IDs
    ///   while the group has members; ``KafkaError/Code/unsupportedFeature`` when the cluster
    ///   cannot describe the group (librdkafka's mock cluster), as its members are then
    ///   unknown; any error of the commit itself.
    public func resetOffsets(_ plan: KafkaOffsetResetPlan, timeout: Duration = .seconds(30)) async throws {
        let group: KafkaConsumerGroupDescription
        do {
            group = try await describeConsumerGroup(plan.group, timeout: timeout)
        } catch let error as KafkaError where error.code == .unsupportedFeature {
            var refusal = error
            refusal.message = "cannot check that group \(plan.group) has no members, so its offsets are left as they are: \(error.message)"
            throw refusal
        }
        if let refusal = Self.activeGroupRefusal(group) { throw refusal }
        try await alterConsumerGroupOffsets(group: plan.group, offsets: plan.offsets, timeout: timeout)
    }

    /// Why offsets of this group must not be changed from outside, if they must not.
    static func activeGroupRefusal(_ group: KafkaConsumerGroupDescription) -> KafkaError? {
        guard !group.members.isEmpty || !["Empty", "Dead"].contains(group.state) else { return nil }
        let who = group.members.isEmpty
            ? "is \(group.state) (it has members)"
            : "has \(group.members.count) member\(group.members.count == 1 ? "" : "s") ("
                + group.members.map { "\($0.clientID) at \($0.host)" }.joined(separator: ", ") + "), state \(group.state)"
        return KafkaError(
            code: KafkaError.Code(RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP),
            message: "group \(group.groupID) \(who): stop its consumers before changing its offsets")
    }
}
