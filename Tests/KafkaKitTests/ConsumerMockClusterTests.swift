import Foundation
import KafkaKitTestSupport
import Testing

@testable import KafkaKit

/// Consumer behaviour under faults, on librdkafka's mock cluster.
@Suite("Consumer on the mock cluster")
struct ConsumerMockClusterTests {
    func produce(_ cluster: MockCluster, topic: String, count: Int, partitions: Int32) async throws {
        let configuration = cluster.configuration()
        let producer = try KafkaProducer(configuration: configuration)
        for i in 0..<count {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: Int32(i) % partitions, value: "m\(i)"))
        }
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.deliveredCount == count)
        await producer.shutdown()
    }

    func consumerConfiguration(_ cluster: MockCluster, group: String) -> KafkaConfiguration {
        var configuration = cluster.configuration()
        configuration["group.id"] = group
        configuration["auto.offset.reset"] = "earliest"
        configuration["enable.auto.commit"] = "false"
        return configuration
    }

    @Test("watermarks, committed offsets and lag are exact")
    func watermarksAndLag() async throws {
        let cluster = MockCluster()
        cluster.createTopic("marks", partitions: 1)
        try await produce(cluster, topic: "marks", count: 100, partitions: 1)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster, group: "marks"))
        try consumer.assign([KafkaTopicPartition(topic: "marks", partition: 0, offset: KafkaOffset.beginning)])
        var last: Int64 = -1
        try await withDeadline(seconds: 30) {
            for await message in consumer.messages {
                if message.offset == 59 {
                    try await consumer.commit(message)
                    break
                }
            }
        }
        last = 59
        let marks = try await consumer.watermarks(topic: "marks", partition: 0)
        #expect(marks.low == 0 && marks.high == 100)
        let committed = try await consumer.committed([KafkaTopicPartition(topic: "marks", partition: 0)])
        #expect(committed == [KafkaTopicPartition(topic: "marks", partition: 0, offset: last + 1)])
        let lag = try await consumer.lag()
        #expect(lag.count == 1)
        #expect(lag[0].highWatermark == 100)
        #expect(lag[0].lag == 100 - lag[0].position)
        #expect(lag[0].position >= 60)
        await consumer.close()
    }

    @Test("the group coordinator moving mid-stream loses nothing and commits keep working")
    func coordinatorFailover() async throws {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic("failover", partitions: 3, replicationFactor: 3)
        try await produce(cluster, topic: "failover", count: 600, partitions: 3)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster, group: "failover"))
        try consumer.subscribe(topics: ["failover"])
        // A coordinator move may hand out again what was not yet committed (at-least-once):
        // read until every partition's distinct offsets are all there.
        let seen = try await withDeadline(seconds: 60) {
            var seen = ConsumedOffsets()
            for await message in consumer.messages {
                seen.record(partition: message.partition, offset: message.offset)
                if seen.total == 200 { cluster.setCoordinator(group: "failover", broker: 2) }
                if seen.total == 400 { cluster.setCoordinator(group: "failover", broker: 3) }
                if seen.total % 50 == 0 { try await consumer.commit(message) }
                if seen.hasAtLeast(200, in: 0..<3) { break }
            }
            return seen
        }
        for p in Int32(0)..<3 { #expect(seen.sorted(p) == Array(0..<200), "partition \(p)") }
        if let note = seen.repeatNote { print("coordinatorFailover: \(note)") }
        try await consumer.commitConsumed()
        await consumer.close()
    }

    @Test("a partition leader change during consumption loses nothing")
    func leaderChange() async throws {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic("leader", partitions: 1, replicationFactor: 3)
        try await produce(cluster, topic: "leader", count: 300, partitions: 1)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster, group: "leader"))
        try consumer.assign([KafkaTopicPartition(topic: "leader", partition: 0, offset: KafkaOffset.beginning)])
        let offsets = try await withDeadline(seconds: 60) {
            var offsets: [Int64] = []
            for await message in consumer.messages {
                offsets.append(message.offset)
                if offsets.count == 100 { cluster.setLeader(topic: "leader", partition: 0, broker: 2) }
                if offsets.count == 200 { cluster.setLeader(topic: "leader", partition: 0, broker: 3) }
                if offsets.count == 300 { break }
            }
            return offsets
        }
        #expect(offsets == Array(0..<300))
        await consumer.close()
    }

    @Test("a consumer without group.id is refused with the property named")
    func missingGroup() throws {
        let error = try #require(throws: KafkaError.self) {
            try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"]))
        }
        #expect(error.property == "group.id")
    }

    @Test("the consumer's fetch backoff default avoids librdkafka's one-second stall")
    func fetchBackoffDefault() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["group.id"] = "defaults"
        let consumer = try KafkaConsumer(configuration: configuration)
        #expect(consumer.effectiveProperties().contains(KafkaConfigurationEntry(name: "fetch.queue.backoff.ms", value: "10", scope: .global)))
        configuration["fetch.queue.backoff.ms"] = "250"
        let explicit = try KafkaConsumer(configuration: configuration)
        #expect(explicit.effectiveProperties().contains(KafkaConfigurationEntry(name: "fetch.queue.backoff.ms", value: "250", scope: .global)))
    }
}
