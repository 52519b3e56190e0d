import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// At-least-once, proven the hard way: a consumer process killed with SIGKILL at random
/// points (5 times; 20 in `make soak`) of a 100 000-record stream and started again each time processes every record at
/// least once — with KafkaKit's default offset handling, and with store-then-commit
/// (`enable.auto.offset.store=false`, `storeOffset` after each record is handed on).
@Suite("Consumer at-least-once under SIGKILL", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct ConsumerAtLeastOnceTests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("KafkaKitTestConsumer")
    }

    /// Produces `total` records to a fresh topic of `partitions` partitions; returns its name.
    static func produce(total: Int, partitions: Int32) async throws -> String {
        let topic = TestBroker.freshTopic("alo")
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: partitions)])
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        let drained = Task {
            var failed = 0
            for await case .deliveryReports(let reports) in events { failed += reports.filter { $0.error != nil }.count }
            return failed
        }
        for i in 0..<total {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, key: "k\(i)", value: "v\(i)"))
        }
        await producer.shutdown()
        #expect(await drained.value == 0)
        return topic
    }

    @Test("SIGKILL at random points (5; 20 in make soak) of 100 000 records, restarted each time: every record processed", arguments: ["default", "store"])
    func killedAndRestarted(mode: String) async throws {
        let total = 100_000
        let partitions: Int32 = 4
        let topic = try await Self.produce(total: total, partitions: partitions)
        let group = "g-\(UUID().uuidString)"
        var run = KillRestartRun(executable: Self.binary, arguments: [try TestBroker.servers(), topic, group, mode]) { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let p = Int32(parts[0]), let o = Int64(parts[1]) else { return nil }
            return KillRestartRun.Record(partition: p, offset: o)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<TestBroker.kills { try run.runAndKill(after: Int.random(in: 1...4_000, using: &generator)) }
        try run.runUntilAll(total)
        print("FAULT consumer sigkill mode=\(mode): \(total) records, \(TestBroker.kills) kills after \(run.kills) lines, \(run.duplicates) printed again, \(total - run.seen.count) skipped")
        #expect(run.seen.count == total, "processed \(run.seen.count) of \(total) distinct records after kills at \(run.kills)")
        #expect(run.gaps().isEmpty, "gaps per partition: \(run.gaps())")
    }
}
