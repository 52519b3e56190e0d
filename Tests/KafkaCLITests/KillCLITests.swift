import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// `kafka consume --group` killed with SIGKILL at random points (5; 20 in make soak) of a 100 000-record stream
/// and started again each time: every record is printed at least once, none skipped (the
/// command stores an offset only once its record was written out).
@Suite("kafka consume --group under SIGKILL", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct KillCLITests {
    @Test("SIGKILL at random points (5; 20 in make soak) of 100 000 records, restarted each time: every record printed")
    func killedAndRestarted() async throws {
        let total = 100_000
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-kill")
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [servers]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 4)])
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [servers]))
        for i in 0..<total { _ = try await producer.send(KafkaProducerRecord(topic: topic, key: "k\(i)", value: "v\(i)")) }
        try await producer.flush(timeout: .seconds(60))
        #expect(producer.deliveredCount == total)
        await producer.shutdown()

        let group = "cli-kill-\(UUID().uuidString)"
        var run = KillRestartRun(
            executable: CLI.binary,
            arguments: ["consume", "--brokers", servers, "--topic", topic, "--group", group, "--json",
                        "-X", "group.instance.id=cli-kill-\(group)", "-X", "session.timeout.ms=6000",
                        "-X", "heartbeat.interval.ms=500", "-X", "auto.commit.interval.ms=100"]
        ) { line in
            // {"topic":"…","partition":N,"offset":M,…}
            guard let p = Self.integer(after: "\"partition\":", in: line), let o = Self.integer(after: "\"offset\":", in: line) else { return nil }
            return KillRestartRun.Record(partition: Int32(p), offset: Int64(o))
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<TestBroker.kills { try run.runAndKill(after: Int.random(in: 1...4_000, using: &generator)) }
        try run.runUntilAll(total)
        print("FAULT cli consume --group sigkill: \(total) records, \(TestBroker.kills) kills after \(run.kills) lines, \(run.duplicates) printed again, \(total - run.seen.count) skipped")
        #expect(run.seen.count == total, "printed \(run.seen.count) of \(total) distinct records after kills at \(run.kills)")
        #expect(run.gaps().isEmpty, "gaps per partition: \(run.gaps())")
    }

    static func integer(after key: String, in line: Substring) -> Int? {
        guard let range = line.range(of: key) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}
