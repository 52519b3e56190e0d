import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// Metadata and administration against the real local broker.
@Suite("Admin and metadata on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct AdminIntegrationTests {
    func admin() throws -> KafkaAdminClient {
        try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
    }

    /// The cluster's metadata once `condition` holds for it. Kafka makes a created or deleted
    /// topic visible in metadata some time after the request returns, not at once.
    func metadata(_ admin: KafkaAdminClient, once condition: @escaping @Sendable (KafkaMetadata) -> Bool) async throws -> KafkaMetadata {
        try await withDeadline(seconds: 30) {
            while true {
                let metadata = try await admin.metadata()
                if condition(metadata) { return metadata }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    @Test("metadata lists the broker (with the controller) and each partition's leader, replicas and ISR")
    func metadata() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("meta")
        let admin = try admin()
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 3)])
        let metadata = try await metadata(admin, once: { $0.topic(topic)?.partitions.count == 3 })
        #expect(metadata.brokers.count == 1)
        let broker = try #require(metadata.brokers.first)
        #expect("\(broker.host):\(broker.port)" == servers)
        #expect(broker.isController && metadata.controllerID == broker.id)
        let found = try #require(metadata.topic(topic))
        #expect(found.error == nil)
        #expect(found.partitions.map(\.id) == [0, 1, 2])
        for p in found.partitions {
            #expect(p.leader == broker.id && p.replicas == [broker.id] && p.inSyncReplicas == [broker.id])
        }
        let one = try await admin.metadata(topic: topic)
        #expect(one.topics.map(\.name) == [topic])
        #expect(try await admin.partitionCount(topic: topic) == 3)
    }

    @Test("create and delete a topic; creating it twice names the topic and the reason")
    func topicLifecycle() async throws {
        let topic = TestBroker.freshTopic("admin")
        let admin = try admin()
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 2, config: ["retention.ms": "3600000"])])
        _ = try await metadata(admin, once: { $0.topic(topic) != nil })
        #expect(try await admin.partitionCount(topic: topic) == 2)

        let again = try await #require(throws: KafkaError.self) {
            try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 2)])
        }
        #expect(again.topic == topic)
        #expect(again.code.name == "TOPIC_ALREADY_EXISTS")

        // Tansu 0.6.0 has no CreatePartitions (nor does librdkafka's mock cluster): what can
        // be checked here is that the refusal is reported clearly and changes nothing.
        let grow = try await #require(throws: KafkaError.self) { try await admin.createPartitions(topic: topic, totalCount: 4) }
        #expect(grow.code == .unsupportedFeature && grow.message.contains("CreatePartitions"))
        #expect(try await admin.partitionCount(topic: topic) == 2)

        try await admin.deleteTopics([topic])
        let after = try await metadata(admin, once: { $0.topic(topic) == nil })
        #expect(after.topic(topic) == nil)
    }

    @Test("offsets by query: earliest and latest; a timestamp query is answered")
    func listOffsets() async throws {
        let topic = TestBroker.freshTopic("offsets")
        let admin = try admin()
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 1)])
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        let base = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        for i in 0..<10 {
            _ = try await producer.sendAndWait(KafkaProducerRecord(
                topic: topic, partition: 0, value: "m\(i)", timestamp: Date(timeIntervalSince1970: Double(base + Int64(i) * 1000) / 1000)))
        }
        await producer.shutdown()
        let partition = [KafkaTopicPartition(topic: topic, partition: 0)]
        let earliest = try await admin.listOffsets(partition, query: .earliest)
        #expect(earliest.map(\.offset) == [0])
        // Ten awaited sends are ten batches: 10 whether the broker counts records or, as
        // Tansu 0.6.0 does, batches.
        let latest = try await admin.listOffsets(partition, query: .latest)
        #expect(latest.map(\.offset) == [10])
        // Tansu 0.6.0 answers every timestamp query with offset 0 (kcat -Q shows the same), and
        // librdkafka's mock cluster does not implement it either: only the shape is checked.
        let byTime = try await admin.listOffsets(partition, query: .timestamp(base + 4500))
        #expect(byTime.count == 1 && byTime[0].topic == topic && byTime[0].partition == 0)
    }

    @Test("consumer groups and their committed offsets are listed")
    func groups() async throws {
        let topic = TestBroker.freshTopic("groups")
        let group = "admin-group-\(UUID().uuidString)"
        let admin = try admin()
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 2)])
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration["group.id"] = group
        let consumer = try KafkaConsumer(configuration: configuration)
        try await consumer.commit([KafkaTopicPartition(topic: topic, partition: 0, offset: 7), KafkaTopicPartition(topic: topic, partition: 1, offset: 3)])
        await consumer.close()

        let groups = try await admin.listConsumerGroups()
        #expect(groups.contains { $0.groupID == group }, "\(groups.map(\.groupID).prefix(5))")
        let offsets = try await admin.listConsumerGroupOffsets(group: group)
        #expect(offsets == [KafkaTopicPartition(topic: topic, partition: 0, offset: 7), KafkaTopicPartition(topic: topic, partition: 1, offset: 3)])
    }

    @Test("a topic's configuration is described")
    func describeConfigs() async throws {
        let topic = TestBroker.freshTopic("configs")
        let admin = try admin()
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 1, config: ["cleanup.policy": "compact"])])
        let entries = try await admin.describeConfigs(.topic(topic))
        #expect(entries.contains { $0.name == "cleanup.policy" && $0.value == "compact" }, "\(entries.prefix(5))")
    }
    @Test("admin requests waiting on an unreachable broker hold no thread: metadata of the real one answers meanwhile")
    func requestsHoldNoThread() async throws {
        let unreachable = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"]))
        let admin = try admin()
        let order = EventOrder()
        try await withDeadline(seconds: 60) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // More requests than the blocking executor has threads, each waiting out its timeout.
                for i in 0..<12 {
                    group.addTask {
                        let error = await #expect(throws: KafkaError.self) {
                            try await unreachable.createTopics([KafkaNewTopic(name: "never-\(i)", partitions: 1)], timeout: .seconds(3))
                        }
                        #expect(error?.code == .timedOut, "\(String(describing: error))")
                        order.append("unreachable")
                    }
                }
                _ = try await admin.metadata()
                order.append("metadata")
                try await group.waitForAll()
            }
        }
        #expect(order.events.first == "metadata", "\(order.events)")
        #expect(order.events.count == 13)
    }
}
