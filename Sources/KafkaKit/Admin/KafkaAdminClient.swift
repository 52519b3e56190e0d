import CLibrdkafka
import Foundation
import Synchronization
public import Logging

/// Cluster administration: metadata, topics, partitions, configurations, consumer groups and
/// offsets. Every call is asynchronous: an admin request waits for its answer without holding a
/// thread, and metadata requests (which block in librdkafka) run on KafkaKit's blocking
/// executor, never on the cooperative pool.
public final class KafkaAdminClient: Sendable {
    let client: RDKafkaClient
    /// What the client was made with (``RDKafkaBrokerAPIs`` makes a client like it).
    let configuration: KafkaConfiguration
    /// See ``explainingConnectionFailure(_:)``.
    let connectionErrors = Mutex(AdminConnectionErrors())
    /// The brokers' API table, probed once (see ``checkBrokerSupports(_:doing:timeout:)``).
    let brokerAPIs = Mutex(RDKafkaBrokerAPIs.Cache())

    /// Creates an admin client (a librdkafka producer handle that never produces).
    public init(configuration: KafkaConfiguration, logger: Logger = KafkaProducer.defaultLogger) throws {
        var configuration = configuration
        configuration.properties["partitioner"] = nil
        self.configuration = configuration
        client = try RDKafkaClient(
            type: RD_KAFKA_PRODUCER, configuration: configuration, events: 0, logger: logger, logsOnMainQueue: false,
            metrics: RDKafkaMetrics.make(configuration, kind: .admin, logger: logger))
    }

    /// Cluster metadata (all topics, or one).
    public func metadata(topic: String? = nil, timeout: Duration = .seconds(10)) async throws -> KafkaMetadata {
        do {
            let metadata = try await client.metadata(topic: topic, timeout: timeout)
            requestAnswered()
            return metadata
        } catch let error as KafkaError {
            throw explainingConnectionFailure(error)
        }
    }

    /// The number of partitions of a topic.
    public func partitionCount(topic: String, timeout: Duration = .seconds(10)) async throws -> Int {
        let metadata = try await self.metadata(topic: topic, timeout: timeout)
        guard let found = metadata.topic(topic) else {
            throw KafkaError(code: .unknownTopicOrPartition, message: "no metadata for topic \(topic)", topic: topic)
        }
        if let code = found.error { throw KafkaError(code: code, topic: topic) }
        return found.partitions.count
    }

    // MARK: Topics and partitions

    /// Creates topics; throws if any of them could not be created, naming each one and why.
    public func createTopics(_ topics: [KafkaNewTopic], timeout: Duration = .seconds(30)) async throws {
        let handle = client.handle
        try await request(RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout: timeout) { options, queue in
            var reason = [CChar](repeating: 0, count: 256)
            var made: [OpaquePointer?] = []
            defer { for t in made { rd_kafka_NewTopic_destroy(t) } }
            for topic in topics {
                guard let t = rd_kafka_NewTopic_new(topic.name, topic.partitions, topic.replicationFactor, &reason, reason.count) else {
                    return KafkaError(code: .invalidArgument, message: String(nullTerminated: reason), topic: topic.name)
                }
                made.append(t)
                for (name, value) in topic.config.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(t, name, value)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        return KafkaError(code: KafkaError.Code(err), message: "topic config \(name): \(KafkaError.Code(err).explanation)", property: name, topic: topic.name)
                    }
                }
            }
            made.withUnsafeMutableBufferPointer { rd_kafka_CreateTopics(handle, $0.baseAddress, $0.count, options, queue) }
            return nil
        } read: { event in
            var count = 0
            let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            return Self.topicErrors(results, count, doing: "creating")
        }
    }

    /// Deletes topics; throws if any of them could not be deleted.
    public func deleteTopics(_ names: [String], timeout: Duration = .seconds(30)) async throws {
        let handle = client.handle
        try await request(RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout: timeout) { options, queue in
            var made = names.map { rd_kafka_DeleteTopic_new($0) }
            defer { for t in made { rd_kafka_DeleteTopic_destroy(t) } }
            made.withUnsafeMutableBufferPointer { rd_kafka_DeleteTopics(handle, $0.baseAddress, $0.count, options, queue) }
            return nil
        } read: { event in
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
            return Self.topicErrors(results, count, doing: "deleting")
        }
    }

    /// Grows a topic to `totalCount` partitions.
    public func createPartitions(topic: String, totalCount: Int, timeout: Duration = .seconds(30)) async throws {
        let handle = client.handle
        try await request(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout: timeout) { options, queue in
            var reason = [CChar](repeating: 0, count: 256)
            guard let p = rd_kafka_NewPartitions_new(topic, totalCount, &reason, reason.count) else {
                return KafkaError(code: .invalidArgument, message: String(nullTerminated: reason), topic: topic)
            }
            var made: [OpaquePointer?] = [p]
            defer { rd_kafka_NewPartitions_destroy(p) }
            made.withUnsafeMutableBufferPointer { rd_kafka_CreatePartitions(handle, $0.baseAddress, 1, options, queue) }
            return nil
        } read: { event in
            var count = 0
            let results = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(event), &count)
            return Self.topicErrors(results, count, doing: "adding partitions to")
        }
    }

    static func topicErrors(_ results: UnsafeMutablePointer<OpaquePointer?>?, _ count: Int, doing: String) -> Result<Void, KafkaError> {
        var failures: [KafkaError] = []
        for i in 0..<count {
            let r = results![i]
            let err = rd_kafka_topic_result_error(r)
            guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            let name = String(cString: rd_kafka_topic_result_name(r))
            let text = rd_kafka_topic_result_error_string(r).map { String(cString: $0) } ?? KafkaError.Code(err).explanation
            failures.append(KafkaError(err, message: "\(doing) topic \(name): \(text)", topic: name))
        }
        guard var first = failures.first else { return .success(()) }
        if failures.count > 1 { first.message = failures.map(\.message).joined(separator: "; ") }
        return .failure(first)
    }

    // MARK: Configurations

    /// The configuration of a topic or broker, as the broker describes it.
    public func describeConfigs(_ resource: KafkaConfigResource, timeout: Duration = .seconds(30)) async throws -> [KafkaResourceConfigEntry] {
        let handle = client.handle
        return try await request(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout: timeout) { options, queue in
            let r = resource.makeConfigResource()
            var made: [OpaquePointer?] = [r]
            defer { rd_kafka_ConfigResource_destroy(r) }
            made.withUnsafeMutableBufferPointer { rd_kafka_DescribeConfigs(handle, $0.baseAddress, 1, options, queue) }
            return nil
        } read: { event -> Result<[KafkaResourceConfigEntry], KafkaError> in
            var count = 0
            let resources = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count)
            guard count > 0, let r = resources?[0] else { return .success([]) }
            let err = rd_kafka_ConfigResource_error(r)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = rd_kafka_ConfigResource_error_string(r).map { String(cString: $0) } ?? KafkaError.Code(err).explanation
                return .failure(KafkaError(err, message: "describing \(resource): \(text)"))
            }
            var entryCount = 0
            let entries = rd_kafka_ConfigResource_configs(r, &entryCount)
            return .success((0..<entryCount).map { i in
                let e = entries![i]
                return KafkaResourceConfigEntry(
                    name: String(cString: rd_kafka_ConfigEntry_name(e)),
                    value: rd_kafka_ConfigEntry_value(e).map { String(cString: $0) },
                    isDefault: rd_kafka_ConfigEntry_is_default(e) != 0,
                    isReadOnly: rd_kafka_ConfigEntry_is_read_only(e) != 0,
                    isSensitive: rd_kafka_ConfigEntry_is_sensitive(e) != 0,
                    source: KafkaResourceConfigEntry.Source(rawValue: Int32(rd_kafka_ConfigEntry_source(e).rawValue)))
            })
        }
    }

    // MARK: Consumer groups and offsets

    /// Every consumer group the cluster knows.
    public func listConsumerGroups(timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerGroupListing] {
        let handle = client.handle
        return try await request(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout: timeout) { options, queue in
            rd_kafka_ListConsumerGroups(handle, options, queue)
            return nil
        } read: { event -> Result<[KafkaConsumerGroupListing], KafkaError> in
            let result = rd_kafka_event_ListConsumerGroups_result(event)
            var count = 0
            let valid = rd_kafka_ListConsumerGroups_result_valid(result, &count)
            var errorCount = 0
            let errors = rd_kafka_ListConsumerGroups_result_errors(result, &errorCount)
            // No group and an error (no broker could be asked) is a failure, not an empty list.
            if count == 0, errorCount > 0, let error = errors?[0] {
                return .failure(KafkaError(
                    code: KafkaError.Code(rawValue: rd_kafka_error_code(error).rawValue),
                    message: "listing consumer groups: " + String(cString: rd_kafka_error_string(error))))
            }
            return .success((0..<count).map { i in
                let g = valid![i]
                return KafkaConsumerGroupListing(
                    groupID: String(cString: rd_kafka_ConsumerGroupListing_group_id(g)),
                    isSimple: rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0,
                    state: String(cString: rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(g))))
            }.sorted { $0.groupID < $1.groupID })
        }
    }

    /// A group's committed offsets (for all its partitions, or these).
    public func listConsumerGroupOffsets(group: String, partitions: [KafkaTopicPartition]? = nil, timeout: Duration = .seconds(30)) async throws -> [KafkaTopicPartition] {
        let handle = client.handle
        return try await request(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout: timeout) { options, queue in
            let list = partitions.map(RDKafkaTopicPartitionList.make)
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            let request = rd_kafka_ListConsumerGroupOffsets_new(group, list)
            var made: [OpaquePointer?] = [request]
            defer { rd_kafka_ListConsumerGroupOffsets_destroy(request) }
            made.withUnsafeMutableBufferPointer { rd_kafka_ListConsumerGroupOffsets(handle, $0.baseAddress, 1, options, queue) }
            return nil
        } read: { event -> Result<[KafkaTopicPartition], KafkaError> in
            var count = 0
            let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(event), &count)
            guard count > 0, let g = groups?[0] else { return .success([]) }
            if let error = rd_kafka_group_result_error(g) {  // owned by the result: not destroyed here
                return .failure(KafkaError(
                    code: KafkaError.Code(rd_kafka_error_code(error)), message: String(cString: rd_kafka_error_string(error)),
                    isRetriable: rd_kafka_error_is_retriable(error) != 0, isFatal: rd_kafka_error_is_fatal(error) != 0))
            }
            let list = rd_kafka_group_result_partitions(g)
            if let error = RDKafkaTopicPartitionList.firstError(list) { return .failure(error) }
            return .success(RDKafkaTopicPartitionList.read(list).filter { $0.offset >= 0 }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) })
        }
    }

    /// Looks up offsets of partitions: earliest, latest, by timestamp, or of the largest timestamp.
    public func listOffsets(_ partitions: [KafkaTopicPartition], query: KafkaOffsetQuery, timeout: Duration = .seconds(30)) async throws -> [KafkaListedOffset] {
        let handle = client.handle
        let spec: Int64 = switch query {
        case .earliest: Int64(RD_KAFKA_OFFSET_SPEC_EARLIEST.rawValue)
        case .latest: Int64(RD_KAFKA_OFFSET_SPEC_LATEST.rawValue)
        case .maxTimestamp: Int64(RD_KAFKA_OFFSET_SPEC_MAX_TIMESTAMP.rawValue)
        case .timestamp(let ms): ms
        }
        return try await request(RD_KAFKA_ADMIN_OP_LISTOFFSETS, timeout: timeout) { options, queue in
            let list = RDKafkaTopicPartitionList.make(partitions.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition, offset: spec) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            rd_kafka_ListOffsets(handle, list, options, queue)
            return nil
        } read: { event -> Result<[KafkaListedOffset], KafkaError> in
            var count = 0
            let infos = rd_kafka_ListOffsets_result_infos(rd_kafka_event_ListOffsets_result(event), &count)
            var listed: [KafkaListedOffset] = []
            for i in 0..<count {
                let tp = rd_kafka_ListOffsetsResultInfo_topic_partition(infos![i])!.pointee
                let topic = String(cString: tp.topic)
                if tp.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    return .failure(KafkaError(tp.err, message: "listing offsets of \(topic)[\(tp.partition)]: \(KafkaError.Code(tp.err).explanation)", topic: topic))
                }
                listed.append(KafkaListedOffset(topic: topic, partition: tp.partition, offset: tp.offset,
                                                timestamp: rd_kafka_ListOffsetsResultInfo_timestamp(infos![i])))
            }
            return .success(listed.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) })
        }
    }

    // MARK: Plumbing

    /// Submits an admin request and waits for its result event.
    ///
    /// Submitting only queues the request for librdkafka's background thread, so it runs on the
    /// caller's thread; the wait for the result is a suspension on the request's own queue
    /// (``RDKafkaQueueWaiter``), holding no thread — an admin call against a dead broker does
    /// not occupy the blocking executor for its whole timeout. `submit` returns an error when
    /// the request cannot even be built.
    func request<T: Sendable>(
        _ op: rd_kafka_admin_op_t,
        timeout: Duration,
        submit: (OpaquePointer, OpaquePointer) -> KafkaError?,
        read: (OpaquePointer) -> Result<T, KafkaError>
    ) async throws -> T {
        collectConnectionErrors()
        let queue = RDKafkaQueue(newOn: client)
        let waiter = RDKafkaQueueWaiter(queue: queue)
        defer { waiter.close() }
        let options = rd_kafka_AdminOptions_new(client.handle, op)!
        defer { rd_kafka_AdminOptions_destroy(options) }
        var reason = [CChar](repeating: 0, count: 256)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.timeoutMilliseconds, &reason, reason.count)
        if let error = submit(options, queue.handle) { throw error }
        // The request times out by itself; the margin only guards against a lost reply.
        let deadline = KafkaPartitionConsumer.deadline(after: timeout + .seconds(5))
        var result: Result<T, KafkaError>?
        let ended = try await waiter.read(until: deadline) {
            guard let event = rd_kafka_queue_poll(queue.handle, 0) else { return false }
            defer { rd_kafka_event_destroy(event) }
            let err = rd_kafka_event_error(event)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                result = .failure(KafkaError(err, message: rd_kafka_event_error_string(event).map { String(cString: $0) }))
            } else {
                result = read(event)
            }
            return true
        }
        switch result {
        case .success(let value):
            requestAnswered()
            return value
        case .failure(let error): throw explainingConnectionFailure(error)
        case nil: break
        }
        if ended == .cancelled { throw CancellationError() }
        throw explainingConnectionFailure(KafkaError(code: .timedOut, message: "no reply to the admin request within \(timeout)"))
    }
}
