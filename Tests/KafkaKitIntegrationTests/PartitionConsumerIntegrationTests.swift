import Foundation
import KafkaKit
import KafkaKitTestSupport
import Synchronization
import Testing

/// The partition consumer (KafkaTcl's model) against the real local broker.
@Suite("Partition consumer on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct PartitionConsumerIntegrationTests {
    /// A fresh topic with `count` records "m0"... in each of `partitions` partitions.
    func filledTopic(count: Int, partitions: Int32 = 1) async throws -> String {
        let topic = TestBroker.freshTopic("partition")
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: partitions)])
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        for p in 0..<partitions {
            for i in 0..<count { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, partition: p, value: "m\(i)")) }
        }
        await producer.shutdown()
        return topic
    }

    func consumer(group: String? = nil) throws -> KafkaPartitionConsumer {
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration["group.id"] = group
        return try KafkaPartitionConsumer(configuration: configuration)
    }

    func next(_ consumer: KafkaPartitionConsumer, _ topic: String) async throws -> KafkaConsumerMessage? {
        try await consumer.consume(topic: topic, partition: 0, timeout: .seconds(10))
    }

    @Test("start at beginning, an absolute offset, and N from the end")
    func startOffsets() async throws {
        let topic = try await filledTopic(count: 20)
        let fromBeginning = try consumer()
        try fromBeginning.start(topic: topic, partition: 0, at: .beginning)
        for expected in Int64(0)..<3 {
            let message = try #require(try await next(fromBeginning, topic))
            #expect(message.offset == expected && message.valueString == "m\(expected)")
        }
        let absolute = try consumer()
        try absolute.start(topic: topic, partition: 0, at: 5)
        #expect(try await next(absolute, topic)?.offset == 5)
        let tail = try consumer()
        try tail.start(topic: topic, partition: 0, at: .tail(3))
        #expect(try await next(tail, topic)?.offset == 17)
        try await tail.stop(topic: topic, partition: 0)
    }

    @Test("start at the end sees only new messages; nothing within the timeout is nil")
    func startAtEnd() async throws {
        let topic = try await filledTopic(count: 5)
        let consumer = try consumer()
        try consumer.start(topic: topic, partition: 0, at: .end)
        #expect(try await consumer.consume(topic: topic, partition: 0, timeout: .milliseconds(1500)) == nil)
        // `end` is resolved when fetching starts, which nothing here observes: send until a new
        // record arrives. The promise is that the first one read is new, never one of the five.
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        var first: KafkaConsumerMessage?
        for i in 0..<10 where first == nil {
            _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, partition: 0, value: "new-\(i)"))
            first = try await consumer.consume(topic: topic, partition: 0, timeout: .seconds(3))
        }
        await producer.shutdown()
        let message = try #require(first)
        #expect(message.offset >= 5 && message.valueString?.hasPrefix("new-") == true, "\(message.offset) \(message.valueString ?? "")")
    }

    @Test("start at the group's stored offset")
    func startStored() async throws {
        let topic = try await filledTopic(count: 20)
        let group = "stored-\(UUID().uuidString)"
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration["group.id"] = group
        let committer = try KafkaConsumer(configuration: configuration)
        try await committer.commit([KafkaTopicPartition(topic: topic, partition: 0, offset: 12)])
        await committer.close()

        let consumer = try consumer(group: group)
        try consumer.start(topic: topic, partition: 0, at: .stored)
        #expect(try await next(consumer, topic)?.offset == 12)
    }

    @Test("a batch holds up to COUNT messages in order")
    func batch() async throws {
        let topic = try await filledTopic(count: 30)
        let consumer = try consumer()
        try consumer.start(topic: topic, partition: 0, at: .beginning)
        var offsets: [Int64] = []
        while offsets.count < 25 {
            let batch = try await consumer.consumeBatch(topic: topic, partition: 0, maxCount: 10, timeout: .seconds(5))
            #expect(batch.count <= 10)
            offsets += batch.map(\.offset)
        }
        #expect(offsets.prefix(25) == ArraySlice(0..<25))
    }

    @Test("two partitions routed into one queue are read together")
    func queue() async throws {
        let topic = try await filledTopic(count: 5, partitions: 2)
        let consumer = try consumer()
        let queue = consumer.makeQueue()
        try consumer.start(topic: topic, partition: 0, at: .beginning, queue: queue)
        try consumer.start(topic: topic, partition: 1, at: .beginning, queue: queue)
        var seen: [Int32: [Int64]] = [:]
        while seen.values.map(\.count).reduce(0, +) < 10 {
            let batch = try await queue.consumeBatch(maxCount: 4, timeout: .seconds(5))
            for m in batch { seen[m.partition, default: []].append(m.offset) }
            if batch.isEmpty, let one = try await queue.consume(timeout: .seconds(5)) { seen[one.partition, default: []].append(one.offset) }
        }
        #expect(seen[0] == [0, 1, 2, 3, 4] && seen[1] == [0, 1, 2, 3, 4])
        try await consumer.stop(topic: topic, partition: 0)
        try await consumer.stop(topic: topic, partition: 1)
    }

    /// A fresh topic of `partitions` partitions with one record ("only") in partition 0.
    func topicWithOneRecord(partitions: Int32) async throws -> String {
        let topic = TestBroker.freshTopic("partition")
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: partitions)])
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, partition: 0, value: "only"))
        await producer.shutdown()
        return topic
    }

    @Test("waits on other partitions and queues do not hold up a read of a partition with a record")
    func independentWaits() async throws {
        let topic = try await topicWithOneRecord(partitions: 3)
        let consumer = try consumer()
        let queue = consumer.makeQueue()
        try consumer.start(topic: topic, partition: 0, at: .beginning)
        try consumer.start(topic: topic, partition: 1, at: .beginning)
        try consumer.start(topic: topic, partition: 2, at: .beginning, queue: queue)
        let order = EventOrder()
        try await withDeadline(seconds: 90) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // More long waits than the blocking executor has threads; nothing comes to 1 or 2.
                for _ in 0..<10 {
                    group.addTask {
                        _ = try? await consumer.consume(topic: topic, partition: 1, timeout: .seconds(20))
                        order.append("wait on 1")
                    }
                }
                group.addTask {
                    _ = try? await queue.consume(timeout: .seconds(20))
                    order.append("wait on the queue")
                }
                // Only makes a failure of the old serial design certain: the long waits went first.
                try await Task.sleep(for: .milliseconds(500))
                let message = try await consumer.consume(topic: topic, partition: 0, timeout: .seconds(15))
                order.append("read of 0")
                #expect(message?.valueString == "only")
                group.cancelAll()
            }
        }
        #expect(order.events.first == "read of 0", "\(order.events)")
    }

    @Test("consume on a partition never started, stopped, or missing from the topic throws, naming it")
    func notStarted() async throws {
        let topic = try await topicWithOneRecord(partitions: 1)
        let consumer = try consumer()
        let never = await #expect(throws: KafkaError.self) { try await consumer.consume(topic: topic, partition: 0, timeout: .seconds(1)) }
        #expect(never?.topic == topic)
        #expect(never?.message.contains("\(topic)[0]") == true && never?.message.contains("not started") == true, "\(String(describing: never))")
        let batch = await #expect(throws: KafkaError.self) {
            try await consumer.consumeBatch(topic: topic, partition: 0, maxCount: 10, timeout: .seconds(1))
        }
        #expect(batch?.message.contains("not started") == true, "\(String(describing: batch))")

        try consumer.start(topic: topic, partition: 0, at: .beginning)
        #expect(try await consumer.consume(topic: topic, partition: 0, timeout: .seconds(15))?.valueString == "only")
        try await consumer.stop(topic: topic, partition: 0)
        let stopped = await #expect(throws: KafkaError.self) { try await consumer.consume(topic: topic, partition: 0, timeout: .seconds(1)) }
        #expect(stopped?.message.contains("not started") == true, "\(String(describing: stopped))")

        // Started, but the topic has no partition 7: librdkafka says so once it has the metadata.
        try consumer.start(topic: topic, partition: 7, at: .beginning)
        let missing = await #expect(throws: KafkaError.self) { try await consumer.consume(topic: topic, partition: 7, timeout: .seconds(30)) }
        #expect(missing?.code == .unknownPartition, "\(String(describing: missing))")
        #expect(missing?.message.contains("\(topic)[7]") == true, "\(String(describing: missing))")
    }

    @Test("a start at an absolute offset after stopped starts at `beginning` reads from that offset")
    func restartAtAbsoluteOffset() async throws {
        // Found through the Tcl package (tcl/tests/consumer.test restart-1 shows it in 2 runs of
        // 3 without the fix): start at beginning, stop before its ListOffsets answer came,
        // start at beginning again, read, stop, start at 3 — librdkafka's leftover offset-query
        // timer reset the start at 3 to beginning. Here it depends on the answer's timing.
        let topic = TestBroker.freshTopic("restart")
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 1)])
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        for i in 0..<20 { _ = try producer.trySend(KafkaProducerRecord(topic: topic, partition: 0, value: "m\(i)")) }
        try await producer.flush(timeout: .seconds(10))
        await producer.shutdown()
        for _ in 0..<3 {
            // As the Tcl binding makes them: no bootstrap servers, brokers added afterwards.
            let consumer = try KafkaPartitionConsumer(configuration: KafkaConfiguration())
            consumer.addBrokers(try TestBroker.servers())
            try consumer.start(topic: topic, partition: 0, at: .beginning)
            try await consumer.stop(topic: topic, partition: 0)
            try consumer.start(topic: topic, partition: 0, at: .beginning)
            #expect(try await next(consumer, topic)?.offset == 0)
            try await consumer.stop(topic: topic, partition: 0)
            try consumer.start(topic: topic, partition: 0, at: 3)
            #expect(try await next(consumer, topic)?.offset == 3)
            #expect(try await next(consumer, topic)?.offset == 4)
            try await consumer.stop(topic: topic, partition: 0)
        }
    }

    @Test("consumeNoting tells the end of the partition from a timeout")
    func endOfPartitionNoted() async throws {
        let topic = try await filledTopic(count: 1)
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration["enable.partition.eof"] = "true"
        let consumer = try KafkaPartitionConsumer(configuration: configuration)
        try consumer.start(topic: topic, partition: 0, at: .beginning)
        let first = try await consumer.consumeNoting(topic: topic, partition: 0, timeout: .seconds(10))
        #expect(first.message?.valueString == "m0" && !first.reachedEnd)
        let end = try await consumer.consumeNoting(topic: topic, partition: 0, timeout: .seconds(10))
        #expect(end.message == nil && end.reachedEnd)
        let plain = try KafkaPartitionConsumer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        try plain.start(topic: topic, partition: 0, at: 1)
        let timedOut = try await plain.consumeNoting(topic: topic, partition: 0, timeout: .milliseconds(500))
        #expect(timedOut.message == nil && !timedOut.reachedEnd)
    }
}

/// The order in which concurrent calls returned.
final class EventOrder: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ event: String) { storage.withLock { $0.append(event) } }
    var events: [String] { storage.withLock { $0 } }
}
