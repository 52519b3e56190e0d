import CLibrdkafka
import Foundation
import KafkaKitTestSupport
import Synchronization
import Testing

@testable import KafkaKit

/// The partition consumer's waits on librdkafka's mock cluster (no broker needed).
@Suite("Partition consumer on the mock cluster")
struct PartitionConsumerMockClusterTests {
    /// A mock cluster with topic `t` of `partitions` partitions and one record ("only") in 0.
    func cluster(partitions: Int32) async throws -> MockCluster {
        let cluster = MockCluster()
        cluster.createTopic("t", partitions: partitions)
        let producer = try KafkaProducer(configuration: cluster.configuration())
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "t", partition: 0, value: "only"))
        await producer.shutdown()
        return cluster
    }

    @Test("a read with a record ready returns while more reads than the executor has threads wait elsewhere")
    func independentWaits() async throws {
        let cluster = try await cluster(partitions: 3)
        let consumer = try KafkaPartitionConsumer(configuration: cluster.configuration())
        let queue = consumer.makeQueue()
        try consumer.start(topic: "t", partition: 0, at: .beginning)
        try consumer.start(topic: "t", partition: 1, at: .beginning)
        try consumer.start(topic: "t", partition: 2, at: .beginning, queue: queue)
        let order = ReturnOrder()
        try await withDeadline(seconds: 60) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<(RDKafkaBlockingExecutor.defaultMaxThreads + 4) {
                    group.addTask {
                        _ = try? await consumer.consume(topic: "t", partition: 1, timeout: .seconds(30))
                        order.append("wait on 1")
                    }
                }
                group.addTask {
                    _ = try? await queue.consumeBatch(maxCount: 10, timeout: .seconds(30))
                    order.append("wait on the queue")
                }
                try await Task.sleep(for: .milliseconds(300))  // only makes a serial design's failure certain
                let message = try await consumer.consume(topic: "t", partition: 0, timeout: .seconds(20))
                order.append("read of 0")
                #expect(message?.valueString == "only")
                group.cancelAll()
            }
        }
        #expect(order.events.first == "read of 0", "\(order.events)")
        #expect(order.events.count == RDKafkaBlockingExecutor.defaultMaxThreads + 6, "every cancelled wait ended")
    }

    @Test("a cancelled read throws CancellationError; a stop ends a waiting read with 'not started'")
    func cancelAndStop() async throws {
        let cluster = try await cluster(partitions: 2)
        let consumer = try KafkaPartitionConsumer(configuration: cluster.configuration())
        try consumer.start(topic: "t", partition: 1, at: .beginning)
        let cancelled = Task { try await consumer.consume(topic: "t", partition: 1, timeout: .seconds(60)) }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await withDeadline(seconds: 30) { try await cancelled.value } }

        let waiting = Task { try await consumer.consumeBatch(topic: "t", partition: 1, maxCount: 5, timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(300))  // the read is (most likely) waiting; either way it must throw
        try await consumer.stop(topic: "t", partition: 1)
        let stopped = await #expect(throws: KafkaError.self) { try await withDeadline(seconds: 30) { try await waiting.value } }
        #expect(stopped?.code == .invalidState && stopped?.message.contains("t[1]") == true, "\(String(describing: stopped))")
    }

    @Test("a stop leaves nothing in the partition's fetch queue, so librdkafka can free the partition")
    func stopEmptiesFetchQueue() async throws {
        // librdkafka's stop leaves a barrier in the queue that holds the partition (and its
        // topic) until the queue is read again: LeakSanitizer showed them never freed, even by
        // rd_kafka_destroy, for a partition the topic lacks and for one restarted then stopped.
        let cluster = try await cluster(partitions: 1)
        let consumer = try KafkaPartitionConsumer(configuration: cluster.configuration())
        /// The partition's fetch queue (a handle of our own, taken while it is started) after `stop`.
        func queueLength(afterStopping partition: Int32) async throws -> Int {
            let queue = try #require(rd_kafka_queue_get_partition(consumer.client.handle, "t", partition))
            defer { rd_kafka_queue_destroy(queue) }
            try await consumer.stop(topic: "t", partition: KafkaPartition(partition))
            return rd_kafka_queue_length(queue)
        }
        try consumer.start(topic: "t", partition: 0, at: .beginning)
        #expect(try await consumer.consume(topic: "t", partition: 0, timeout: .seconds(20))?.valueString == "only")
        #expect(try await queueLength(afterStopping: 0) == 0)
        // Read to the end before each stop: a fetch still under way at a stop may add to the
        // queue after it (outdated, and not what this checks).
        try consumer.start(topic: "t", partition: 0, at: .beginning)
        #expect(try await consumer.consume(topic: "t", partition: 0, timeout: .seconds(20))?.valueString == "only")
        #expect(try await queueLength(afterStopping: 0) == 0, "restarted")
        try consumer.start(topic: "t", partition: 3, at: .beginning)
        await #expect(throws: KafkaError.self) { try await consumer.consume(topic: "t", partition: 3, timeout: .seconds(20)) }
        #expect(try await queueLength(afterStopping: 3) == 0, "a partition the topic does not have")
    }

    @Test("reads of a partition not started, started into a queue, or missing throw, naming it")
    func wrongPartitions() async throws {
        let cluster = try await cluster(partitions: 1)
        let consumer = try KafkaPartitionConsumer(configuration: cluster.configuration())
        let never = await #expect(throws: KafkaError.self) { try await consumer.consume(topic: "t", partition: 0, timeout: .seconds(5)) }
        #expect(never?.code == .invalidState && never?.message.contains("t[0]") == true && never?.message.contains("not started") == true)
        #expect(never?.topic == "t")

        let queue = consumer.makeQueue()
        try consumer.start(topic: "t", partition: 0, at: .beginning, queue: queue)
        let routed = await #expect(throws: KafkaError.self) { try await consumer.consume(topic: "t", partition: 0, timeout: .seconds(5)) }
        #expect(routed?.message.contains("queue") == true, "\(String(describing: routed))")
        #expect(try await queue.consume(timeout: .seconds(20))?.valueString == "only")
        let twice = #expect(throws: KafkaError.self) { try consumer.start(topic: "t", partition: 0, at: .beginning) }
        #expect(twice?.message.contains("already started") == true)

        try consumer.start(topic: "t", partition: 3, at: .beginning)
        let missing = await #expect(throws: KafkaError.self) { try await consumer.consume(topic: "t", partition: 3, timeout: .seconds(20)) }
        #expect(missing?.code == .unknownPartition && missing?.message.contains("t[3]") == true, "\(String(describing: missing))")
        let again = await #expect(throws: KafkaError.self) { try await consumer.consume(topic: "t", partition: 3, timeout: .seconds(20)) }
        #expect(again?.code == .unknownPartition, "it stays missing")

        try consumer.start(topic: "t", partition: 5, at: .beginning, queue: queue)
        let missingRouted = await #expect(throws: KafkaError.self) { try await queue.consume(timeout: .seconds(20)) }
        #expect(missingRouted?.code == .unknownPartition && missingRouted?.message.contains("t[5]") == true, "\(String(describing: missingRouted))")
        #expect(try await queue.consume(timeout: .milliseconds(300)) == nil, "reported once: the queue reads on")

        #expect(throws: KafkaError.self) { try consumer.start(topic: "t", partition: .unassigned, at: .beginning) }
        #expect(throws: KafkaError.self) { try consumer.start(topic: "t", partition: 0, at: .invalid) }
    }

    @Test("a batch gathers what arrives until it is full; zero timeout takes what is there without waiting")
    func batchesAndZeroTimeout() async throws {
        let cluster = MockCluster()
        cluster.createTopic("b", partitions: 1)
        let producer = try KafkaProducer(configuration: cluster.configuration())
        for i in 0..<25 { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "b", partition: 0, value: "m\(i)")) }
        let consumer = try KafkaPartitionConsumer(configuration: cluster.configuration())
        try consumer.start(topic: "b", partition: 0, at: .beginning)
        let first = try await consumer.consumeBatch(topic: "b", partition: 0, maxCount: 10, timeout: .seconds(20))
        #expect(first.map(\.offset) == Array(0..<10))
        var offsets = first.map(\.offset)
        while offsets.count < 25 {  // the last batch is not full: it returns when its timeout passes
            let batch = try await consumer.consumeBatch(topic: "b", partition: 0, maxCount: 10, timeout: .seconds(2))
            offsets += batch.map(\.offset)
        }
        #expect(offsets == Array(0..<25))
        #expect(try await consumer.consume(topic: "b", partition: 0, timeout: .zero) == nil)
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "b", partition: 0, value: "late"))
        #expect(try await consumer.consume(topic: "b", partition: 0, timeout: .seconds(20))?.valueString == "late")
        await producer.shutdown()
        try await consumer.stop(topic: "b", partition: 0)
    }
    @Test("a started partition of a topic that does not exist: the read waits out its timeout, then throws (retriable); once created, it is read")
    func missingTopic() async throws {
        let cluster = MockCluster()
        let consumer = try KafkaPartitionConsumer(configuration: cluster.configuration())
        try consumer.start(topic: "later", partition: 0, at: .beginning)
        // A read throws once the cluster's metadata has shown the topic missing; a read whose
        // metadata request did not answer within its second proves nothing and returns nil.
        // So read again until one throws, bounded by a deadline that fails the test.
        let error = try await withDeadline(seconds: 60) { () -> KafkaError in
            while true {
                do {
                    if let message = try await consumer.consume(topic: "later", partition: 0, timeout: .seconds(1)) {
                        Issue.record("a topic that does not exist handed out \(message)")
                    }
                } catch let error as KafkaError {
                    return error
                }
            }
        }
        #expect(error.code.name == "UNKNOWN_TOPIC_OR_PART" && error.isRetriable, "\(error)")
        #expect(error.message.contains("later[0]") && error.message.contains("does not exist"), "\(error)")

        cluster.createTopic("later", partitions: 1)
        let producer = try KafkaProducer(configuration: cluster.configuration())
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "later", partition: 0, value: "at last"))
        await producer.shutdown()
        let value = try await withDeadline(seconds: 60) { () -> String? in
            while true {
                do {
                    if let message = try await consumer.consume(topic: "later", partition: 0, timeout: .seconds(5)) { return message.valueString }
                } catch let error as KafkaError where error.isRetriable {}  // until librdkafka sees the topic
            }
        }
        #expect(value == "at last")
    }
}

/// The order in which concurrent calls returned.
final class ReturnOrder: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ event: String) { storage.withLock { $0.append(event) } }
    var events: [String] { storage.withLock { $0 } }
}
