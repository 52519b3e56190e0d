import CLibrdkafka
import Foundation

extension KafkaAdminClient {
    /// Describes consumer groups: state, protocol, coordinator, and each member with its
    /// client ID, host and assignment.
    ///
    /// A group the coordinator does not know is described, not refused: Kafka answers with
    /// state `Dead` and no members.
    ///
    /// - Throws: ``KafkaError`` naming the group, if any group could not be described.
    public func describeConsumerGroups(_ groups: [String], timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerGroupDescription] {
        guard !groups.isEmpty else { return [] }
        let handle = client.handle
        return try await request(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout: timeout) { options, queue in
            var names = groups.map { strdup($0) }
            defer { for name in names { free(name) } }
            names.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    rd_kafka_DescribeConsumerGroups(handle, $0, buffer.count, options, queue)
                }
            }
            return nil
        } read: { event -> Result<[KafkaConsumerGroupDescription], KafkaError> in
            var count = 0
            let results = rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(event), &count)
            var described: [KafkaConsumerGroupDescription] = []
            for i in 0..<count {
                let g = results![i]!
                let id = String(cString: rd_kafka_ConsumerGroupDescription_group_id(g))
                if let error = rd_kafka_ConsumerGroupDescription_error(g) {
                    return .failure(Self.groupError(error, group: id, doing: "describing"))
                }
                let members = (0..<rd_kafka_ConsumerGroupDescription_member_count(g)).compactMap { j -> KafkaConsumerGroupDescription.Member? in
                    guard let m = rd_kafka_ConsumerGroupDescription_member(g, j) else { return nil }
                    let target = rd_kafka_MemberDescription_target_assignment(m)
                    return KafkaConsumerGroupDescription.Member(
                        memberID: String(cString: rd_kafka_MemberDescription_consumer_id(m)),
                        groupInstanceID: rd_kafka_MemberDescription_group_instance_id(m).map { String(cString: $0) },
                        clientID: String(cString: rd_kafka_MemberDescription_client_id(m)),
                        host: String(cString: rd_kafka_MemberDescription_host(m)),
                        assignment: Self.sorted(RDKafkaTopicPartitionList.read(rd_kafka_MemberDescription_assignment(m).flatMap(rd_kafka_MemberAssignment_partitions))),
                        targetAssignment: target.map { Self.sorted(RDKafkaTopicPartitionList.read(rd_kafka_MemberAssignment_partitions($0))) })
                }
                let coordinator = rd_kafka_ConsumerGroupDescription_coordinator(g)
                described.append(KafkaConsumerGroupDescription(
                    groupID: id,
                    state: String(cString: rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g))),
                    type: String(cString: rd_kafka_consumer_group_type_name(rd_kafka_ConsumerGroupDescription_type(g))),
                    partitionAssignor: rd_kafka_ConsumerGroupDescription_partition_assignor(g).map { String(cString: $0) } ?? "",
                    isSimple: rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0,
                    coordinatorID: coordinator.map { Int32(rd_kafka_Node_id($0)) },
                    members: members.sorted { $0.memberID < $1.memberID }))
            }
            return .success(described)
        }
    }

    /// Describes one consumer group (see ``describeConsumerGroups(_:timeout:)``).
    public func describeConsumerGroup(_ group: String, timeout: Duration = .seconds(30)) async throws -> KafkaConsumerGroupDescription {
        guard let described = try await describeConsumerGroups([group], timeout: timeout).first(where: { $0.groupID == group }) else {
            throw KafkaError(code: .failure, message: "the cluster did not describe group \(group)")
        }
        return described
    }

    /// Commits offsets for a group from outside it (Kafka's AlterConsumerGroupOffsets): each
    /// partition's offset is the next record the group will read.
    ///
    /// Kafka refuses while the group has members (`UNKNOWN_MEMBER_ID`): their own commits would
    /// race these. ``resetOffsets(_:timeout:)`` checks that first.
    ///
    /// - Throws: ``KafkaError`` naming the group, or the first partition refused.
    public func alterConsumerGroupOffsets(group: String, offsets: [KafkaTopicPartition], timeout: Duration = .seconds(30)) async throws {
        guard !offsets.isEmpty else { return }
        let handle = client.handle
        try await request(RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout: timeout) { options, queue in
            let list = RDKafkaTopicPartitionList.make(offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            var made: [OpaquePointer?] = [rd_kafka_AlterConsumerGroupOffsets_new(group, list)]
            defer { rd_kafka_AlterConsumerGroupOffsets_destroy(made[0]) }
            made.withUnsafeMutableBufferPointer { rd_kafka_AlterConsumerGroupOffsets(handle, $0.baseAddress, 1, options, queue) }
            return nil
        } read: { event in
            var count = 0
            let results = rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(event), &count)
            return Self.groupResultErrors(results, count, doing: "committing offsets of")
        }
    }

    /// Deletes consumer groups with their committed offsets. Kafka refuses a group that has
    /// members (`NON_EMPTY_GROUP`).
    ///
    /// - Throws: ``KafkaError`` naming each group that was not deleted, and why.
    public func deleteConsumerGroups(_ groups: [String], timeout: Duration = .seconds(30)) async throws {
        guard !groups.isEmpty else { return }
        try await checkBrokerSupports(.deleteGroups, doing: "deleting group\(groups.count == 1 ? "" : "s") \(groups.joined(separator: ", "))", timeout: timeout)
        let handle = client.handle
        try await request(RD_KAFKA_ADMIN_OP_DELETEGROUPS, timeout: timeout) { options, queue in
            var made = groups.map { rd_kafka_DeleteGroup_new($0) }
            defer { for g in made { rd_kafka_DeleteGroup_destroy(g) } }
            made.withUnsafeMutableBufferPointer { rd_kafka_DeleteGroups(handle, $0.baseAddress, $0.count, options, queue) }
            return nil
        } read: { event in
            var count = 0
            let results = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event), &count)
            return Self.groupResultErrors(results, count, doing: "deleting")
        }
    }

    /// Deletes a group's committed offsets of these partitions (Kafka's OffsetDelete). Kafka
    /// refuses partitions of topics the group's members are subscribed to
    /// (`GROUP_SUBSCRIBED_TO_TOPIC`).
    ///
    /// - Throws: ``KafkaError`` naming the group, or the first partition refused.
    public func deleteConsumerGroupOffsets(group: String, partitions: [KafkaTopicPartition], timeout: Duration = .seconds(30)) async throws {
        guard !partitions.isEmpty else { return }
        try await checkBrokerSupports(.offsetDelete, doing: "deleting offsets of group \(group)", timeout: timeout)
        let handle = client.handle
        try await request(RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS, timeout: timeout) { options, queue in
            let list = RDKafkaTopicPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            var made: [OpaquePointer?] = [rd_kafka_DeleteConsumerGroupOffsets_new(group, list)]
            defer { rd_kafka_DeleteConsumerGroupOffsets_destroy(made[0]) }
            made.withUnsafeMutableBufferPointer { rd_kafka_DeleteConsumerGroupOffsets(handle, $0.baseAddress, 1, options, queue) }
            return nil
        } read: { event in
            var count = 0
            let results = rd_kafka_DeleteConsumerGroupOffsets_result_groups(rd_kafka_event_DeleteConsumerGroupOffsets_result(event), &count)
            return Self.groupResultErrors(results, count, doing: "deleting offsets of")
        }
    }

    // MARK: Plumbing

    /// Refuses, before librdkafka is asked, a coordinator request the broker lacks the API
    /// for: librdkafka 2.14.2 would release a queue twice for DeleteGroups or OffsetDelete
    /// there, and abort the process later (see ``RDKafkaBrokerAPIs``).
    func checkBrokerSupports(_ api: RDKafkaBrokerAPIs.Key, doing: String, timeout: Duration) async throws {
        let unsupported = KafkaError(code: .unsupportedFeature, message: "\(doing): the broker does not support \(api.name) (\(api.since))")
        if configuration["api.version.request"] == "false" { throw unsupported }
        // A connection lost since the last check forgets the table (see RDKafkaBrokerAPIs.Cache).
        collectConnectionErrors()
        let apis: RDKafkaBrokerAPIs.Table
        switch brokerAPIs.withLock({ $0.lookup() }) {
        case .known(let table):
            apis = table
        case .probe(let generation):
            do {
                apis = try await RDKafkaBrokerAPIs.supported(configuration: configuration, timeout: timeout)
            } catch let error as KafkaError {
                throw explainingConnectionFailure(error)
            }
            brokerAPIs.withLock { $0.store(apis, probedIn: generation) }
        }
        // No API logged at all: librdkafka's log format changed, and with it perhaps the bug.
        if !apis.isEmpty, apis[api.rawValue] == nil { throw unsupported }
    }

    static func sorted(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition] {
        partitions.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    /// A group's error (owned by the result: not destroyed here), naming the group.
    static func groupError(_ error: OpaquePointer, group: String, doing: String) -> KafkaError {
        KafkaError(
            code: KafkaError.Code(rd_kafka_error_code(error)),
            message: "\(doing) group \(group): " + String(cString: rd_kafka_error_string(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0, isFatal: rd_kafka_error_is_fatal(error) != 0)
    }

    /// The errors of group results — of a group, or of one of its partitions — as one error
    /// naming each (the first one's code).
    static func groupResultErrors(_ results: UnsafeMutablePointer<OpaquePointer?>?, _ count: Int, doing: String) -> Result<Void, KafkaError> {
        var failures: [KafkaError] = []
        for i in 0..<count {
            let g = results![i]
            let name = String(cString: rd_kafka_group_result_name(g))
            if let error = rd_kafka_group_result_error(g) {
                failures.append(groupError(error, group: name, doing: doing))
                continue
            }
            let list = rd_kafka_group_result_partitions(g)
            for p in RDKafkaTopicPartitionList.errors(list) {
                failures.append(KafkaError(
                    code: p.code, message: "\(doing) group \(name): \(p.topic)[\(p.partition)]: \(p.code.explanation)", topic: p.topic))
            }
        }
        guard var first = failures.first else { return .success(()) }
        if failures.count > 1 { first.message = failures.map(\.message).joined(separator: "; ") }
        return .failure(first)
    }
}

extension RDKafkaTopicPartitionList {
    /// Every per-partition error of a list.
    static func errors(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [(topic: String, partition: Int32, code: KafkaError.Code)] {
        guard let list else { return [] }
        return (0..<Int(list.pointee.cnt)).compactMap { i in
            let e = list.pointee.elems[i]
            guard e.err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
            return (String(cString: e.topic), e.partition, KafkaError.Code(e.err))
        }
    }
}
