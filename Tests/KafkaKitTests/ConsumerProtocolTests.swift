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

    /// Subscribes, reads until each of `partitions` has handed out `perPartition` distinct
    /// offsets (a rebalance may hand some out again: at-least-once), and returns them with
    /// the assignment events seen.
    func readAll(_ consumer: KafkaConsumer, topic: String, partitions: Int32, perPartition: Int) async throws -> (offsets: ConsumedOffsets, assigned: [KafkaTopicPartition]) {
        try consumer.subscribe(topics: [topic])
        let iterator = consumer.events.makeAsyncIterator()  // before any record is taken
        let events = Task {
            var assigned: [KafkaTopicPartition] = []
            var iterator = iterator
            while let event = await iterator.next() {
                if case .partitionsAssigned(let partitions) = event { assigned += partitions }
            }
            return assigned
        }
        let offsets = try await withDeadline(seconds: 60) {
            var seen = ConsumedOffsets()
            for await message in consumer.messages {
                seen.record(partition: message.partition, offset: message.offset)
                if seen.hasAtLeast(perPartition, in: 0..<partitions) { break }
            }
            return seen
        }
        await consumer.close()
        if let note = offsets.repeatNote { print("\(topic): \(note)") }
        return (offsets, await events.value)
    }

    @Test("cooperative-sticky assigns incrementally and reads everything")
    func cooperativeSticky() async throws {
        let cluster = MockCluster()
        cluster.createTopic("coop", partitions: 3)
        try await produce(cluster, topic: "coop", count: 300, partitions: 3)
        let consumer = try KafkaConsumer(configuration: configuration(cluster, group: "coop", ["partition.assignment.strategy": "cooperative-sticky"]))
        let (offsets, assigned) = try await readAll(consumer, topic: "coop", partitions: 3, perPartition: 100)
        #expect(Set(assigned.map(\.partition)) == [0, 1, 2])
        for p in Int32(0)..<3 { #expect(offsets.sorted(p) == Array(0..<100), "partition \(p)") }
    }

    @Test("the KIP-848 consumer protocol (group.protocol=consumer) assigns and reads everything")
    func kip848() async throws {
        let cluster = MockCluster()
        cluster.createTopic("kip848", partitions: 2)
        try await produce(cluster, topic: "kip848", count: 200, partitions: 2)
        let consumer = try KafkaConsumer(configuration: configuration(cluster, group: "kip848", ["group.protocol": "consumer"]))
        let (offsets, assigned) = try await readAll(consumer, topic: "kip848", partitions: 2, perPartition: 100)
        #expect(Set(assigned.map(\.partition)) == [0, 1])
        for p in Int32(0)..<2 { #expect(offsets.sorted(p) == Array(0..<100), "partition \(p)") }
    }

    @Test("graceful shutdown of a ServiceGroup closes the consumer and ends its messages")
    func gracefulShutdown() async throws {
        let cluster = MockCluster()
        cluster.createTopic("lifecycle", partitions: 1)
        try await produce(cluster, topic: "lifecycle", count: 10, partitions: 1)
        let consumer = try KafkaConsumer(configuration: configuration(cluster, group: "lifecycle", [:]))
        try consumer.subscribe(topics: ["lifecycle"])
        // A service of the group that returns once the test has read everything: the group
        // then shuts down gracefully, from inside its run, whatever the timing.
        let (readDone, signalReadDone) = AsyncStream.makeStream(of: Void.self)
        let group = ServiceGroup(configuration: .init(services: [
            .init(service: consumer),
            .init(service: ClosureService { for await _ in readDone {} }, successTerminationBehavior: .gracefullyShutdownGroup),
        ], logger: Logger(label: "test")))
        let read = try await withDeadline(seconds: 60) {
            try await withThrowingTaskGroup(of: ConsumedOffsets?.self) { tasks in
                tasks.addTask { try await group.run(); return nil }
                tasks.addTask {
                    var seen = ConsumedOffsets()
                    for await message in consumer.messages {
                        seen.record(partition: message.partition, offset: message.offset)
                        if seen.hasAtLeast(10, in: 0..<1) { signalReadDone.finish() }
                    }
                    return seen  // the sequence ended: the consumer closed
                }
                var read = ConsumedOffsets()
                for try await case let seen? in tasks { read = seen }
                return read
            }
        }
        #expect(read.sorted(0) == Array(0..<10))
    }
}
