import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// Consumer groups, offsets and configurations through the admin client, on the local broker.
/// What Tansu 0.6.0 gets wrong is said where a test works around it.
@Suite("Admin: groups, offsets, configurations on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct AdminGroupsIntegrationTests {
    func configuration() throws -> KafkaConfiguration { KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]) }

    /// `count` records on partition 0, each in a batch of its own: Tansu 0.6.0 counts its end
    /// offset in batches, so only this makes it count records.
    func produce(_ topic: String, count: Int) async throws {
        let producer = try KafkaProducer(configuration: configuration())
        for i in 0..<count { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, partition: 0, value: "v\(i)")) }
        await producer.shutdown()
    }

    /// A group member that read `count` records and committed them; the caller closes it.
    func member(group: String, topic: String, reading count: Int) async throws -> KafkaConsumer {
        var configuration = try configuration()
        configuration["group.id"] = group
        configuration["client.id"] = "admin-test-member"
        configuration["auto.offset.reset"] = "earliest"
        configuration["session.timeout.ms"] = "6000"
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: [topic])
        try await withDeadline(seconds: 60) {
            var read = 0
            for await _ in consumer.messages {
                read += 1
                if read == count { break }
            }
        }
        try await consumer.commitConsumed()
        return consumer
    }

    @Test("a reset is refused while the group is active, applied once it is empty; the plan itself changes nothing")
    func resetOffsets() async throws {
        let topic = TestBroker.freshTopic("reset")
        let group = "reset-\(UUID().uuidString)"
        let admin = try KafkaAdminClient(configuration: configuration())
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 1)])
        try await produce(topic, count: 10)
        let consumer = try await member(group: group, topic: topic, reading: 10)
        let partition = [KafkaTopicPartition(topic: topic, partition: 0)]
        #expect(try await admin.listConsumerGroupOffsets(group: group) == [KafkaTopicPartition(topic: topic, partition: 0, offset: 10)])

        let live = try await admin.describeConsumerGroup(group)
        #expect(live.groupID == group && live.state != "Empty" && live.state != "Dead", "\(live)")
        #expect(live.coordinatorID == (try await admin.metadata()).brokers.first?.id)
        let plan = try await admin.planOffsetReset(group: group, partitions: partition, to: .earliest)
        #expect(plan.entries == [KafkaOffsetResetPlan.Entry(topic: topic, partition: 0, current: 10, earliest: 0, latest: 10, target: 0, wasClamped: false)])
        let refused = await #expect(throws: KafkaError.self) { try await admin.resetOffsets(plan) }
        #expect(refused?.code.name == "NON_EMPTY_GROUP" && refused?.message.contains(group) == true, "\(String(describing: refused))")
        #expect(try await admin.listConsumerGroupOffsets(group: group).map(\.offset) == [10], "refused: nothing changed")

        await consumer.close()
        let empty = try await withDeadline(seconds: 30) {
            while true {
                let described = try await admin.describeConsumerGroup(group)
                if described.state == "Empty" { return described }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        #expect(empty.members.isEmpty)
        try await admin.resetOffsets(plan)
        #expect(try await admin.listConsumerGroupOffsets(group: group).map(\.offset) == [0])
        let shifted = try await admin.planOffsetReset(group: group, partitions: partition, to: .shift(4))
        try await admin.resetOffsets(shifted)
        #expect(try await admin.listConsumerGroupOffsets(group: group).map(\.offset) == [4])
    }

    @Test("a group deleted has no offsets left; deleting offsets is refused before anything is sent (Tansu has no OffsetDelete)")
    func deleteGroups() async throws {
        let topic = TestBroker.freshTopic("delete-group")
        let group = "delete-\(UUID().uuidString)"
        let admin = try KafkaAdminClient(configuration: configuration())
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 1)])
        try await admin.alterConsumerGroupOffsets(group: group, offsets: [KafkaTopicPartition(topic: topic, partition: 0, offset: 0)])
        #expect(try await admin.listConsumerGroupOffsets(group: group).count == 1)
        let offsets = await #expect(throws: KafkaError.self) {
            try await admin.deleteConsumerGroupOffsets(group: group, partitions: [KafkaTopicPartition(topic: topic, partition: 0)])
        }
        #expect(offsets?.code == .unsupportedFeature && offsets?.message.contains("OffsetDelete") == true, "\(String(describing: offsets))")
        try await admin.deleteConsumerGroups([group])
        #expect(try await admin.listConsumerGroupOffsets(group: group).isEmpty)
        #expect(!(try await admin.listConsumerGroups()).contains { $0.groupID == group })
    }

    @Test("incremental configuration changes: set entries appear, a deleted one goes, others stay")
    func incrementalAlterConfigs() async throws {
        let topic = TestBroker.freshTopic("alter-config")
        let admin = try KafkaAdminClient(configuration: configuration())
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 1)])
        try await admin.incrementalAlterConfigs(.topic(topic), [.set("retention.ms", to: "123456"), .set("cleanup.policy", to: "compact")])
        func values() async throws -> [String: String] {
            try await admin.describeConfigs(.topic(topic)).reduce(into: [:]) { $0[$1.name] = $1.value }
        }
        let set = try await values()
        #expect(set["retention.ms"] == "123456" && set["cleanup.policy"] == "compact", "\(set)")
        try await admin.incrementalAlterConfigs(.topic(topic), [.delete("retention.ms")])
        let after = try await values()
        #expect(after["retention.ms"] != "123456" && after["cleanup.policy"] == "compact", "\(after)")
    }
}
