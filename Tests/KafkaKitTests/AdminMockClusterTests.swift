import Foundation
import KafkaKitTestSupport
import Testing

@testable import KafkaKit

/// The admin client on librdkafka's mock cluster (through the public ``KafkaMockCluster``):
/// offsets where the local broker (Tansu 0.6.0) counts batches instead of records, group
/// offsets committed from outside, and clear refusals of what the mock cannot do.
@Suite("Admin client on the mock cluster")
struct AdminMockClusterTests {
    /// 100 records in batches of many (linger): a broker counting batches would say far fewer.
    func produce(_ cluster: KafkaMockCluster, topic: String, partition: Int32, count: Int) async throws {
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(50)
        let producer = try KafkaProducer(configuration: configuration)
        for i in 0..<count { _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: partition, value: "m\(i)")) }
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.deliveredCount == count)
        await producer.shutdown()
    }

    @Test("earliest and latest offsets count records, batched or not")
    func listOffsets() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        try cluster.createTopic("offsets", partitions: 3, replicationFactor: 2)
        try await produce(cluster, topic: "offsets", partition: 1, count: 100)
        let admin = try KafkaAdminClient(configuration: cluster.configuration())
        let partitions = (0..<3).map { KafkaTopicPartition(topic: "offsets", partition: Int32($0)) }
        #expect(try await admin.listOffsets(partitions, query: .earliest).map(\.offset) == [0, 0, 0])
        #expect(try await admin.listOffsets(partitions, query: .latest).map(\.offset) == [0, 100, 0])
    }

    @Test("offsets committed from outside a group are what the group reads back")
    func alterGroupOffsets() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("committed", partitions: 2)
        let admin = try KafkaAdminClient(configuration: cluster.configuration())
        let offsets = [KafkaTopicPartition(topic: "committed", partition: 0, offset: 3), KafkaTopicPartition(topic: "committed", partition: 1, offset: 9)]
        try await admin.alterConsumerGroupOffsets(group: "outside", offsets: offsets)
        let bare = offsets.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition) }
        #expect(try await admin.listConsumerGroupOffsets(group: "outside", partitions: bare) == offsets)
        var configuration = cluster.configuration()
        configuration["group.id"] = "outside"
        let consumer = try KafkaConsumer(configuration: configuration)
        #expect(try await consumer.committed(bare) == offsets)
        await consumer.close()
    }

    @Test("a reset plan of a group that consumed: every target, nothing changed by planning")
    func planOffsetReset() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("plan", partitions: 1)
        try await produce(cluster, topic: "plan", partition: 0, count: 20)
        let admin = try KafkaAdminClient(configuration: cluster.configuration())
        let partition = [KafkaTopicPartition(topic: "plan", partition: 0)]
        try await admin.alterConsumerGroupOffsets(group: "planned", offsets: [KafkaTopicPartition(topic: "plan", partition: 0, offset: 12)])
        func target(_ to: KafkaOffsetResetTarget) async throws -> KafkaOffsetResetPlan.Entry {
            try #require(try await admin.planOffsetReset(group: "planned", partitions: partition, to: to).entries.first)
        }
        let earliest = try await target(.earliest)
        #expect(earliest.current == 12 && earliest.earliest == 0 && earliest.latest == 20 && earliest.target == 0)
        #expect(try await target(.latest).target == 20)
        #expect(try await target(.offset(5)).target == 5)
        #expect(try await target(.shift(-4)).target == 8)
        let past = try await target(.shift(100))
        #expect(past.target == 20 && past.wasClamped)
        // The mock finds no offset for a time: the plan then goes to the end.
        #expect(try await target(.timestamp(0)).target == 20)
        #expect(try await admin.listConsumerGroupOffsets(group: "planned", partitions: partition).map(\.offset) == [12], "planning changed nothing")
    }

    @Test("a reset is refused where the group's members cannot be checked (the mock describes no group)")
    func resetRefusedUnchecked() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("unchecked", partitions: 1)
        let admin = try KafkaAdminClient(configuration: cluster.configuration())
        let partition = [KafkaTopicPartition(topic: "unchecked", partition: 0)]
        try await admin.alterConsumerGroupOffsets(group: "g", offsets: [KafkaTopicPartition(topic: "unchecked", partition: 0, offset: 0)])
        let plan = try await admin.planOffsetReset(group: "g", partitions: partition, to: .latest)
        let error = await #expect(throws: KafkaError.self) { try await admin.resetOffsets(plan) }
        #expect(error?.code == .unsupportedFeature && error?.message.contains("cannot check that group g has no members") == true, "\(String(describing: error))")
        #expect(try await admin.listConsumerGroupOffsets(group: "g", partitions: partition).map(\.offset) == [0])
    }

    @Test("what the mock cannot do fails with unsupported-feature errors naming it, without waiting out a timeout; deleting groups or offsets is refused before librdkafka is asked (it would abort the process later)")
    func unsupported() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("none", partitions: 1)
        let admin = try KafkaAdminClient(configuration: cluster.configuration())
        let p = [KafkaTopicPartition(topic: "none", partition: 0)]
        // Far below the requests' 30 s timeouts: refused, not timed out.
        try await withDeadline(seconds: 25) {
            let describe = await #expect(throws: KafkaError.self) { try await admin.describeConsumerGroups(["g"]) }
            #expect(describe?.code == .unsupportedFeature && describe?.message.contains("group g") == true, "\(String(describing: describe))")
            let delete = await #expect(throws: KafkaError.self) { try await admin.deleteConsumerGroups(["g"]) }
            #expect(delete?.code == .unsupportedFeature && delete?.message.contains("group g") == true, "\(String(describing: delete))")
            let records = await #expect(throws: KafkaError.self) { try await admin.deleteRecords(before: [KafkaTopicPartition(topic: "none", partition: 0, offset: 0)]) }
            #expect(records?.code == .unsupportedFeature && records?.topic == "none", "\(String(describing: records))")
            for _ in 0..<3 {
                let offsets = await #expect(throws: KafkaError.self) { try await admin.deleteConsumerGroupOffsets(group: "g", partitions: p) }
                #expect(offsets?.code == .unsupportedFeature && offsets?.message.contains("OffsetDelete") == true, "\(String(describing: offsets))")
            }
        }
    }

    @Test("a mock cluster refuses bad counts and names before starting anything")
    func badInput() throws {
        #expect(throws: KafkaError.self) { try KafkaMockCluster(brokers: 0) }
        let cluster = try KafkaMockCluster(brokers: 2)
        #expect(cluster.brokerCount == 2 && cluster.bootstrapServers.split(separator: ",").count == 2)
        let name = #expect(throws: KafkaError.self) { try cluster.createTopic("bad name", partitions: 1) }
        #expect(name?.code == .invalidArgument)
        let count = #expect(throws: KafkaError.self) { try cluster.createTopic("t", partitions: 0) }
        #expect(count?.message.contains("1 or more partitions") == true)
        let factor = #expect(throws: KafkaError.self) { try cluster.createTopic("t", partitions: 1, replicationFactor: 3) }
        #expect(factor?.message.contains("1 to 2") == true, "\(String(describing: factor))")
    }
}
