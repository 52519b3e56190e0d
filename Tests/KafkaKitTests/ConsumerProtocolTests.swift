import Foundation
import KafkaKitTestSupport
import Logging
import ServiceLifecycle
import Testing

@testable import KafkaKit

/// Rebalance protocols and lifecycle, on the mock cluster.
@Suite("Consumer protocols and lifecycle")
struct ConsumerProtocolTests {
    func produce(_ cluster: MockCluster, topic: String, count: Int, partitions: Int32) async throws {
        let configuration = cluster.configuration()
        let producer = try KafkaProducer(configuration: configuration)
        for i in 0..<count { _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: Int32(i) % partitions, value: "m\(i)")) }
        try await producer.flush(timeout: .seconds(30))
        await producer.shutdown()
    }

    func configuration(_ cluster: MockCluster, group: String, _ extra: [String: String]) -> KafkaConfiguration {
        var configuration = cluster.configuration()
        configuration["group.id"] = group
        configuration["auto.offset.reset"] = "earliest"
        for (k, v) in extra { configuration[k] = v }
        return configuration
    }

    /// Subscribes, reads `count` messages, and returns them with the assignment events seen.
    func readAll(_ consumer: KafkaConsumer, topic: String, count: Int) async throws -> (offsets: [Int32: [Int64]], assigned: [KafkaTopicPartition]) {
        try consumer.subscribe(topics: [topic])
        let events = Task {
            var assigned: [KafkaTopicPartition] = []
            for await event in consumer.events {
                if case .partitionsAssigned(let partitions) = event { assigned += partitions }
            }
            return assigned
        }
        let offsets = try await withDeadline(seconds: 60) {
            var offsets: [Int32: [Int64]] = [:]
            var n = 0
            for await message in consumer.messages {
                offsets[message.partition, default: []].append(message.offset)
                n += 1
                if n == count { break }
            }
            return offsets
        }
        await consumer.close()
        return (offsets, await events.value)
    }

    @Test("cooperative-sticky assigns incrementally and reads everything")
    func cooperativeSticky() async throws {
        let cluster = MockCluster()
        cluster.createTopic("coop", partitions: 3)
        try await produce(cluster, topic: "coop", count: 300, partitions: 3)
        let consumer = try KafkaConsumer(configuration: configuration(cluster, group: "coop", ["partition.assignment.strategy": "cooperative-sticky"]))
        let (offsets, assigned) = try await readAll(consumer, topic: "coop", count: 300)
        #expect(Set(assigned.map(\.partition)) == [0, 1, 2])
        for p in Int32(0)..<3 { #expect(offsets[p] == Array(0..<100)) }
    }

    @Test("the KIP-848 consumer protocol (group.protocol=consumer) assigns and reads everything")
    func kip848() async throws {
        let cluster = MockCluster()
        cluster.createTopic("kip848", partitions: 2)
        try await produce(cluster, topic: "kip848", count: 200, partitions: 2)
        let consumer = try KafkaConsumer(configuration: configuration(cluster, group: "kip848", ["group.protocol": "consumer"]))
        let (offsets, assigned) = try await readAll(consumer, topic: "kip848", count: 200)
        #expect(Set(assigned.map(\.partition)) == [0, 1])
        for p in Int32(0)..<2 { #expect(offsets[p] == Array(0..<100)) }
    }

    @Test("graceful shutdown of a ServiceGroup closes the consumer and ends its messages")
    func gracefulShutdown() async throws {
        let cluster = MockCluster()
        cluster.createTopic("lifecycle", partitions: 1)
        try await produce(cluster, topic: "lifecycle", count: 10, partitions: 1)
        let consumer = try KafkaConsumer(configuration: configuration(cluster, group: "lifecycle", [:]))
        try consumer.subscribe(topics: ["lifecycle"])
        let group = ServiceGroup(configuration: .init(services: [consumer], logger: Logger(label: "test")))
        let read = try await withDeadline(seconds: 60) {
            try await withThrowingTaskGroup(of: Int.self) { tasks in
                tasks.addTask { try await group.run(); return -1 }
                tasks.addTask {
                    var n = 0
                    for await _ in consumer.messages {
                        n += 1
                        if n == 10 {
                            // The group must have started the service, or shutting it down
                            // would not reach the consumer's run().
                            try await Task.sleep(for: .milliseconds(300))
                            await group.triggerGracefulShutdown()
                        }
                    }
                    return n  // the sequence ended: the consumer closed
                }
                var read = 0
                for try await value in tasks where value >= 0 { read = value }
                return read
            }
        }
        #expect(read == 10)
    }
}
