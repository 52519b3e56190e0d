import Foundation
import KafkaKitTestSupport
import Synchronization
import Testing

@testable import KafkaKit

/// ``KafkaProducer/sendBlockingWhenFull(to:partition:batch:from:to:refused:)``
/// (`rd_kafka_produce_batch`, the `kafka produce` fast path) on librdkafka's mock cluster.
@Suite("Producer batch sends on the mock cluster")
struct ProducerBatchMockClusterTests {
    /// What one thread's batch sends did.
    struct Outcome: Sendable {
        var queued = 0
        var refused: [(index: Int, code: KafkaError.Code)] = []
        /// Calls that stopped early at a record refused for a full queue (sent alone, waiting).
        var stoppedAtFullQueue = 0
    }

    /// Sends `records` in batches of `capacity` from a thread of its own (the sends block).
    func sendInBatches(
        _ producer: KafkaProducer, topic: String, partition: Int32? = nil, records: [(key: [UInt8]?, value: [UInt8])], capacity: Int
    ) async -> Outcome {
        let handle = producer.topicHandle(topic)
        return await withCheckedContinuation { continuation in
            Thread {
                var outcome = Outcome()
                let batch = KafkaProducerBatch(capacity: capacity)
                var first = 0
                while first < records.count {
                    let chunk = records[first..<min(first + capacity, records.count)]
                    func fill(_ index: Int) {
                        guard index < chunk.count else {
                            var from = 0
                            while from < chunk.count {
                                let (queued, next) = producer.sendBlockingWhenFull(
                                    to: handle, partition: partition, batch: batch, from: from, to: chunk.count
                                ) { index, error in outcome.refused.append((first + index, error.code)) }
                                outcome.queued += queued
                                if next < chunk.count { outcome.stoppedAtFullQueue += 1 }
                                from = next
                            }
                            return
                        }
                        // The bytes stay borrowed until the send returns: nest the borrows.
                        let record = chunk[chunk.startIndex + index]
                        record.value.withUnsafeBytes { value in
                            if let key = record.key {
                                key.withUnsafeBytes { key in
                                    batch.set(index, key: key, value: value)
                                    fill(index + 1)
                                }
                            } else {
                                batch.set(index, key: nil, value: value)
                                fill(index + 1)
                            }
                        }
                    }
                    fill(0)
                    first += chunk.count
                }
                continuation.resume(returning: outcome)
            }.start()
        }
    }

    func records(_ count: Int) -> [(key: [UInt8]?, value: [UInt8])] {
        (0..<count).map { i in (key: i % 3 == 0 ? nil : Array("k\(i % 11)".utf8), value: Array("value \(i)".utf8)) }
    }

    @Test("a batch send into a tiny queue delivers each record exactly once, with one report each", arguments: [nil, 1] as [Int32?])
    func tinyQueue(partition: Int32?) async throws {
        let cluster = MockCluster()
        cluster.createTopic("batch", partitions: 3)
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(1)
        configuration["queue.buffering.max.messages"] = "20"
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        let sent = records(3000)
        // Batches far larger than the queue: librdkafka refuses all but the first few of each.
        let outcome = await sendInBatches(producer, topic: "batch", partition: partition, records: sent, capacity: 256)
        #expect(outcome.refused.isEmpty, "\(outcome.refused.prefix(3))")
        #expect(outcome.queued == sent.count)
        #expect(outcome.stoppedAtFullQueue > 0, "the queue never filled: the fallback was not tested")
        try await producer.flush(timeout: .seconds(60))

        let wanted = sent.count
        let reports = try await withDeadline(seconds: 30) {
            var reports: [KafkaDeliveryReport] = []
            for await event in events {
                if case .deliveryReports(let batch) = event { reports += batch }
                if reports.count >= wanted { break }
            }
            return reports
        }
        #expect(reports.count == sent.count)
        #expect(Set(reports.map(\.id)).count == sent.count, "one report per ID")
        #expect(reports.allSatisfy { $0.isDelivered })
        #expect(producer.deliveredCount == sent.count)
        #expect(producer.failedCount == 0)

        // Each record once in the log: no record lost, none sent twice by the fallback.
        let log = try PlainConsumer.read(topic: "batch", count: sent.count, bootstrapServers: cluster.bootstrapServers)
        #expect(log.count == sent.count)
        let read = log.map { [$0.key ?? [0xff], $0.value ?? []] }.sorted { $0.lexicographicallyPrecedes($1) { $0.lexicographicallyPrecedes($1) } }
        let expected = sent.map { [$0.key ?? [0xff], $0.value] }.sorted { $0.lexicographicallyPrecedes($1) { $0.lexicographicallyPrecedes($1) } }
        #expect(read == expected)
        if let partition { #expect(log.allSatisfy { $0.partition == partition }) }
        await producer.shutdown()
    }

    @Test("a record librdkafka refuses is reported by its index; the rest of its batch is delivered")
    func refusedRecord() async throws {
        let cluster = MockCluster()
        cluster.createTopic("refused", partitions: 1)
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(1)
        configuration["message.max.bytes"] = "2000"
        let producer = try KafkaProducer(configuration: configuration)
        var sent = records(100)
        sent[42].value = Array(repeating: 120, count: 5000)
        let outcome = await sendInBatches(producer, topic: "refused", records: sent, capacity: 64)
        #expect(outcome.refused.map(\.index) == [42])
        #expect(outcome.refused.first?.code == .messageSizeTooLarge)
        #expect(outcome.queued == 99)
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.deliveredCount == 99)
        await producer.shutdown()
    }

    @Test("after shutdown every record of a batch is refused, none queued")
    func afterShutdown() async throws {
        let cluster = MockCluster()
        cluster.createTopic("closed", partitions: 1)
        let producer = try KafkaProducer(configuration: cluster.configuration())
        await producer.shutdown()
        let outcome = await sendInBatches(producer, topic: "closed", records: records(10), capacity: 8)
        #expect(outcome.queued == 0)
        #expect(outcome.refused.map(\.index) == Array(0..<10))
        #expect(outcome.refused.allSatisfy { $0.code == .destroyed })
    }
}
