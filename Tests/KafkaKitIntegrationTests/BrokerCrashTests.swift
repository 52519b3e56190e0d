import Foundation
import KafkaKit
import KafkaKitTestSupport
import Synchronization
import Testing

/// The real broker (a Tansu process of the test's own) killed with SIGKILL: mid-produce and
/// restarted, and never coming back. Every message gets exactly one report (delivered, or
/// failed with the reason); flush, shutdown and close return within their bounds.
@Suite("Broker killed with SIGKILL", .serialized, .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct BrokerCrashTests {
    func broker() throws -> LocalBroker {
        try #require(LocalBroker.isInstalled, "the Tansu broker is not installed: run scripts/bootstrap")
        return try LocalBroker()
    }

    func outcomes(_ reports: [KafkaDeliveryReport]) -> String {
        Dictionary(grouping: reports, by: \.errorCode).map { "\($0.key)×\($0.value.count)" }.sorted().joined(separator: " ")
    }

    @Test("killed mid-produce and restarted: every message reported exactly once; flush and shutdown return")
    func killedAndRestarted() async throws {
        let broker = try broker()
        let topic = TestBroker.freshTopic("crash")
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [broker.bootstrapServers]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 4)])
        var configuration = KafkaConfiguration(bootstrapServers: [broker.bootstrapServers])
        configuration.messageTimeout = .seconds(15)
        configuration.linger = .milliseconds(5)
        configuration["log_level"] = "0"
        let reports = ReportLog()
        let producer = try KafkaProducer(configuration: configuration) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }
        var ids = Set<KafkaProducerMessageID>()
        var restart: Task<Void, any Error>?
        for i in 0..<30_000 {
            if i == 10_000 {
                try broker.kill()
                restart = Task {
                    try await Task.sleep(for: .seconds(2))
                    try broker.start()
                }
            }
            ids.insert(try await producer.send(KafkaProducerRecord(topic: topic, key: "k\(i)", value: "v\(i)")))
            if i % 1000 == 999 { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await restart?.value
        // Within message.timeout.ms every message has its outcome; flush returns by its bound.
        try await returnsWithin(seconds: 60) { try? await producer.flush(timeout: .seconds(40)) }
        let sent = ids.count
        try await withDeadline(seconds: 60) {
            while reports.count < sent { try await Task.sleep(for: .milliseconds(20)) }
        }
        let all = reports.all
        print("FAULT broker sigkill-restart: sent \(ids.count), reports \(all.count): \(outcomes(all))")
        #expect(all.count == ids.count, "exactly one report per message")
        #expect(Set(all.map(\.id)) == ids)
        #expect(all.contains { $0.isDelivered }, "the messages before the kill were delivered")
        #expect(all.allSatisfy { $0.isDelivered || $0.error != nil })
        try await returnsWithin(seconds: 30) { await producer.shutdown(timeout: .seconds(5)) }
    }

    @Test("a broker that never returns: every pending message times out within message.timeout.ms; shutdown and close return")
    func neverReturns() async throws {
        let broker = try broker()
        let topic = TestBroker.freshTopic("gone")
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [broker.bootstrapServers]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 2)])
        var configuration = KafkaConfiguration(bootstrapServers: [broker.bootstrapServers])
        configuration.messageTimeout = .seconds(5)
        configuration["log_level"] = "0"
        let reports = ReportLog()
        let producer = try KafkaProducer(configuration: configuration) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, value: "before"))
        var consumerConfiguration = KafkaConfiguration(bootstrapServers: [broker.bootstrapServers])
        consumerConfiguration["group.id"] = "gone-\(UUID().uuidString)"
        consumerConfiguration["auto.offset.reset"] = "earliest"
        consumerConfiguration["log_level"] = "0"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration)
        try consumer.subscribe(topics: [topic])
        try await withDeadline(seconds: 60) { for await _ in consumer.messages { break } }

        try broker.kill()
        let killed = ContinuousClock.now
        var ids = Set<KafkaProducerMessageID>()
        for i in 0..<1000 { ids.insert(try await producer.send(KafkaProducerRecord(topic: topic, value: "after \(i)"))) }
        let awaited = try await returnsWithin(seconds: 60) {
            try await withThrowingTaskGroup(of: KafkaError.Code?.self) { group in
                for i in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, value: "awaited \(i)"))
                            return nil
                        } catch let error as KafkaError {
                            return error.code
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let sent = ids.count
        try await withDeadline(seconds: 60) {
            while reports.count < sent { try await Task.sleep(for: .milliseconds(20)) }
        }
        let elapsed = ContinuousClock.now - killed
        let all = reports.all
        print("FAULT broker sigkill-never-returns: \(all.count) pending reports within \(elapsed) (message.timeout.ms 5000): \(outcomes(all)); awaited \(awaited.map { "\($0.map(String.init(describing:)) ?? "delivered")" })")
        #expect(all.count == ids.count && Set(all.map(\.id)) == ids, "exactly one report per message")
        #expect(all.allSatisfy { $0.errorCode == .messageTimedOut })
        #expect(awaited.count == 10 && awaited.allSatisfy { $0 == .messageTimedOut })
        let clock = ContinuousClock()
        let shutdown = try await returnsWithin(seconds: 30) { await clock.measure { await producer.shutdown(timeout: .seconds(5)) } }
        let close = try await returnsWithin(seconds: 60) { await clock.measure { await consumer.close() } }
        print("FAULT broker sigkill-never-returns: producer shutdown took \(shutdown), consumer close took \(close)")
    }
}
