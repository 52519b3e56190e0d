import Foundation
import KafkaKit
import KafkaKitTestSupport
import Synchronization
import Testing

/// What users do with a consumer's loops — break out and iterate again, run two loops at once,
/// close while iterating, cancel the task — against the real broker. Each record taken from
/// librdkafka belongs to the consumer: it is handed to the application or stays uncommitted.
@Suite("Consumer loops as users write them", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct ConsumerOwnershipTests {
    static func configuration(group: String = "g-\(UUID().uuidString)") throws -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration["group.id"] = group
        configuration["auto.offset.reset"] = "earliest"
        configuration["session.timeout.ms"] = "6000"
        configuration["heartbeat.interval.ms"] = "500"
        return configuration
    }

    /// Writes `count` records ("m0", "m1", ...) to partition 0 of a new topic, in order: one
    /// sender awaiting each batch of reports, so offset N holds "mN".
    static func topicWithRecords(_ count: Int) async throws -> String {
        let topic = TestBroker.freshTopic("own")
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        for i in 0..<count {
            _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, partition: 0, value: "m\(i)"))
        }
        await producer.shutdown()
        return topic
    }

    /// The offsets a new member of `group` reads until it has `count` records, or the deadline.
    static func offsetsReadByNewMember(group: String, topic: String, count: Int) async throws -> [Int64] {
        let consumer = try KafkaConsumer(configuration: configuration(group: group))
        try consumer.subscribe(topics: [topic])
        let offsets = try await withDeadline(seconds: 60) {
            var offsets: [Int64] = []
            for await message in consumer.messages {
                offsets.append(message.offset)
                if offsets.count == count { break }
            }
            return offsets
        }
        await consumer.close()
        return offsets
    }

    @Test("break after 10, iterate again: the second loop starts at offset 10 and nothing is skipped")
    func breakThenIterateAgain() async throws {
        let topic = try await Self.topicWithRecords(200)
        let consumer = try KafkaConsumer(configuration: Self.configuration())
        try consumer.subscribe(topics: [topic])
        let (first, second) = try await withDeadline(seconds: 60) {
            var first: [Int64] = []
            for await message in consumer.messages {
                first.append(message.offset)
                if first.count == 10 { break }
            }
            var second: [Int64] = []
            for await message in consumer.messages {
                second.append(message.offset)
                if second.count == 190 { break }
            }
            return (first, second)
        }
        await consumer.close()
        #expect(first == Array(0..<10))
        #expect(second == Array(10..<200))
    }

    @Test("break after 10, close, default settings: a new member of the group resumes at offset 10")
    func breakCloseResume() async throws {
        let topic = try await Self.topicWithRecords(200)
        let group = "g-\(UUID().uuidString)"
        let consumer = try KafkaConsumer(configuration: Self.configuration(group: group))
        try consumer.subscribe(topics: [topic])
        let first = try await withDeadline(seconds: 60) {
            var first: [Int64] = []
            for await message in consumer.messages {
                first.append(message.offset)
                if first.count == 10 { break }
            }
            return first
        }
        await consumer.close()
        #expect(first == Array(0..<10))
        let rest = try await Self.offsetsReadByNewMember(group: group, topic: topic, count: 190)
        #expect(rest == Array(10..<200))
    }

    @Test("a batch loop after a broken message loop continues after the last message handed out")
    func batchesContinueMessages() async throws {
        let topic = try await Self.topicWithRecords(50)
        let consumer = try KafkaConsumer(configuration: Self.configuration())
        try consumer.subscribe(topics: [topic])
        let offsets = try await withDeadline(seconds: 60) {
            var offsets: [Int64] = []
            for await message in consumer.messages {
                offsets.append(message.offset)
                if offsets.count == 5 { break }
            }
            for await batch in consumer.batches {
                offsets.append(contentsOf: batch.map(\.offset))
                if offsets.count >= 50 { break }
            }
            return offsets
        }
        await consumer.close()
        #expect(offsets == Array(0..<50))
    }

    @Test("two tasks iterating messages at once share the records: no crash, each record once")
    func twoLoopsAtOnce() async throws {
        let total = 3000
        let topic = try await Self.topicWithRecords(total)
        var configuration = try Self.configuration()
        configuration.consumerBatchSize = 64  // many batch boundaries, so the loops alternate
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: [topic])
        let seen = Locked<[Int64]>([])
        let perLoop = try await withDeadline(seconds: 90) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        var mine = 0
                        for await message in consumer.messages {
                            mine += 1
                            let done = seen.withLock { s -> Bool in
                                s.append(message.offset)
                                return s.count >= total
                            }
                            if done { break }
                            await Task.yield()
                        }
                        return mine
                    }
                }
                // One loop ends at the total; the other waits for more: close ends it.
                var counts: [Int] = []
                counts.append(try await group.next()!)
                await consumer.close()
                counts.append(try await group.next()!)
                return counts
            }
        }
        let offsets = seen.withLock { $0 }
        #expect(offsets.count == total)
        #expect(Set(offsets) == Set(0..<Int64(total)))
        #expect(perLoop.reduce(0, +) == total)
    }

    @Test("close while another task iterates ends that loop; a new member reads the rest, nothing skipped")
    func closeWhileIterating() async throws {
        let total = 2000
        let topic = try await Self.topicWithRecords(total)
        let group = "g-\(UUID().uuidString)"
        let consumer = try KafkaConsumer(configuration: Self.configuration(group: group))
        try consumer.subscribe(topics: [topic])
        let processed = Locked<[Int64]>([])
        let reader = Task {
            for await message in consumer.messages {
                processed.withLock { $0.append(message.offset) }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        try await withDeadline(seconds: 60) {
            while processed.withLock({ $0.count }) < 100 { try await Task.sleep(for: .milliseconds(20)) }
        }
        await consumer.close()
        try await withDeadline(seconds: 30) { await reader.value }
        let first = processed.withLock { $0 }
        #expect(first == Array(0..<Int64(first.count)))
        let next = Int64(first.count)
        // The new member starts at or before the first record not processed (at-least-once).
        let rest = try await Self.offsetsReadByNewMember(group: group, topic: topic, count: 1)
        #expect(rest.count == 1)
        #expect(rest[0] <= next)
        #expect(rest[0] >= next - 1)
    }

    @Test("cancelling the reading task ends its loop at a batch boundary; the next loop continues without a gap")
    func cancelThenIterateAgain() async throws {
        let total = 1000
        let topic = try await Self.topicWithRecords(total)
        var configuration = try Self.configuration()
        configuration.consumerBatchSize = 16
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: [topic])
        let firstOffsets = Locked<[Int64]>([])
        let reader = Task {
            for await message in consumer.messages {
                let n = firstOffsets.withLock { o -> Int in o.append(message.offset); return o.count }
                if n == 20 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        do {
            try await withDeadline(seconds: 60) { await reader.value }
        } catch {
            Issue.record("the cancelled loop did not end: it read \(firstOffsets.withLock { $0.count }) records")
            throw error
        }
        let first = firstOffsets.withLock { $0 }
        #expect(first == Array(0..<Int64(first.count)))
        #expect(first.count >= 20 && first.count < total, "ends within a batch of the cancellation")
        let rest = try await withDeadline(seconds: 60) {
            var rest: [Int64] = []
            for await message in consumer.messages {
                rest.append(message.offset)
                if message.offset == Int64(total - 1) { break }
            }
            return rest
        }
        await consumer.close()
        #expect(rest == Array(Int64(first.count)..<Int64(total)))
    }

    @Test("an events loop made after records flowed still sees the assignment that came first")
    func eventsKeptForTheFirstIterator() async throws {
        let topic = try await Self.topicWithRecords(5)
        let consumer = try KafkaConsumer(configuration: Self.configuration())
        try consumer.subscribe(topics: [topic])
        let first = try await withDeadline(seconds: 60) { () -> Int64? in
            for await message in consumer.messages { return message.offset }
            return nil
        }
        #expect(first == 0)
        let assigned = try await withDeadline(seconds: 30) { () -> [KafkaTopicPartition] in
            for await event in consumer.events {
                if case .partitionsAssigned(let partitions) = event { return partitions }
            }
            return []
        }
        await consumer.close()
        #expect(!assigned.isEmpty && Set(assigned.map(\.topic)) == [topic])
    }

    @Test("end-of-partition markers filling a whole batch do not stall the records behind them")
    func eofOnlyBatches() async throws {
        let topic = TestBroker.freshTopic("eof")
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 4)])
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        for i in 0..<10 {
            _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, partition: 3, value: "m\(i)"))
        }
        await producer.shutdown()
        var configuration = try Self.configuration()
        configuration["enable.partition.eof"] = "true"
        configuration.consumerBatchSize = 1  // three empty partitions: batches of nothing but EOF
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.assign((0..<4).map { KafkaTopicPartition(topic: topic, partition: $0, offset: KafkaOffset.beginning.rawValue) })
        let offsets = try await withDeadline(seconds: 60) {
            var offsets: [Int64] = []
            for await message in consumer.messages {
                offsets.append(message.offset)
                if offsets.count == 10 { break }
            }
            return offsets
        }
        await consumer.close()
        #expect(offsets == Array(0..<10))
    }

    @Test("lag before reading with auto.offset.reset=latest is 0, with earliest the whole partition")
    func lagBeforeReading() async throws {
        let topic = try await Self.topicWithRecords(10)
        for (reset, expected) in [("latest", Int64(0)), ("earliest", Int64(10))] {
            var configuration = try Self.configuration()
            configuration["auto.offset.reset"] = reset
            let consumer = try KafkaConsumer(configuration: configuration)
            try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0)])
            let lag = try await consumer.lag()
            await consumer.close()
            #expect(lag.map(\.lag) == [expected], "auto.offset.reset=\(reset)")
        }
    }

    @Test("10 ms per record with max.poll.interval.ms=7000: the member keeps its partition, each record once")
    func slowHandlerKeepsPartition() async throws {
        let total = 1100  // more than a batch: 11 s of work, past the interval
        let topic = try await Self.topicWithRecords(total)
        var configuration = try Self.configuration()
        configuration["max.poll.interval.ms"] = "7000"
        let consumer = try KafkaConsumer(configuration: configuration)
        let trouble = Locked<[String]>([])
        let iterator = consumer.events.makeAsyncIterator()  // events are kept from here on
        let events = Task {
            var iterator = iterator
            while let event = await iterator.next() {
                switch event {
                case .partitionsRevoked(let p): trouble.withLock { $0.append("revoked \(p)") }
                case .partitionsLost(let p): trouble.withLock { $0.append("lost \(p)") }
                case .error(let e): trouble.withLock { $0.append("error \(e)") }
                default: break
                }
            }
        }
        try consumer.subscribe(topics: [topic])
        let offsets = try await withDeadline(seconds: 120) {
            var offsets: [Int64] = []
            for await message in consumer.messages {
                offsets.append(message.offset)
                try? await Task.sleep(for: .milliseconds(10))
                if offsets.count == total { break }
            }
            return offsets
        }
        await consumer.close()
        await events.value
        #expect(offsets == Array(0..<Int64(total)))
        // The revocation at close is expected; nothing before it.
        let problems = trouble.withLock { $0 }.filter { !$0.hasPrefix("revoked") }
        #expect(problems.isEmpty, "\(problems)")
    }
}

/// A value shared between tasks of a test.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
