import CLibrdkafka
import Foundation
import KafkaKit
import KafkaKitTestSupport
import Synchronization
import Testing

/// A proxy between the clients and the broker cuts every connection after 0.5–1.5 s while
/// an idempotent producer writes and a consumer reads (assigned partitions): 100 000 records over about 10 s
/// (1 000 000 over about a minute in `make soak`). Every message gets one report, and the
/// consumer reads everything delivered, once and in order (the log as it read it).
@Suite("Chaos: connections cut every 0.5–1.5 s", .serialized, .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct ChaosTests {
    @Test("producing and consuming through a connection-cutting proxy: nothing lost, every outcome reported")
    func connectionsCut() async throws {
        try #require(LocalBroker.isInstalled, "the Tansu broker is not installed: run scripts/bootstrap")
        let total = TestBroker.isSoak ? 1_000_000 : 100_000
        let partitions: Int32 = 4
        let proxyPort = try LocalBroker.freePort()
        let broker = try LocalBroker(advertisedPort: proxyPort)
        let proxy = try ChaosProxy(port: proxyPort, target: broker.port)
        let servers = "127.0.0.1:\(proxyPort)"
        let topic = TestBroker.freshTopic("chaos")

        // Creating the topic may meet a cut connection too: retried.
        var adminConfiguration = KafkaConfiguration(bootstrapServers: [servers])
        adminConfiguration["log_level"] = "0"
        let admin = try KafkaAdminClient(configuration: adminConfiguration)
        var created = false
        for _ in 0..<20 where !created {
            do {
                try await admin.createTopics([KafkaNewTopic(name: topic, partitions: partitions)])
                created = true
            } catch let error as KafkaError where error.code == KafkaError.Code(rawValue: RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue) {
                created = true
            } catch {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        try #require(created)

        var configuration = KafkaConfiguration(bootstrapServers: [servers])
        configuration["enable.idempotence"] = "true"
        configuration["log_level"] = "0"
        configuration.messageTimeout = .seconds(300)
        configuration.linger = .milliseconds(5)
        let reports = ReportLog()
        let producer = try KafkaProducer(configuration: configuration) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }

        var consumerConfiguration = KafkaConfiguration(bootstrapServers: [servers])
        consumerConfiguration["group.id"] = "chaos-\(UUID().uuidString)"
        consumerConfiguration["auto.offset.reset"] = "earliest"
        consumerConfiguration["log_level"] = "0"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration)
        // Assigned, not subscribed: Tansu's group joins take about 3 s, longer than a
        // connection lives here, so a group would never form (KafkaKit's group code is
        // proven against cuts on the mock cluster: ConsumerFaultTests).
        try consumer.assign((0..<partitions).map { KafkaTopicPartition(topic: topic, partition: $0, offset: KafkaOffset.beginning) })
        let consumed = Mutex(Set<Int>())
        // What the consumer read, by partition and offset: the log (Tansu's ListOffsets counts
        // batches, so the log cannot be read back by watermarks).
        let read = Mutex<[Int32: [Int64: [UInt8]]]>([:])
        let reader = Task {
            for await message in consumer.messages {
                let value = message.value ?? []
                read.withLock { $0[message.partition, default: [:]][message.offset] = value }
                if let sequence = Int(String(decoding: value, as: UTF8.self)) { _ = consumed.withLock { $0.insert(sequence) } }
            }
        }

        // About 10 000 records a second (16 700 in a soak): the cuts land all through.
        let chunk = TestBroker.isSoak ? 1000 : 500
        var sequences: [KafkaProducerMessageID?] = []
        sequences.reserveCapacity(total)
        for sequence in 0..<total {
            sequences.append(try await producer.send(
                KafkaProducerRecord(topic: topic, partition: Int32(sequence % Int(partitions)), value: "\(sequence)")))
            if sequence % chunk == chunk - 1 { try await Task.sleep(for: .milliseconds(50)) }
        }
        try await returnsWithin(seconds: 300) { try await producer.flush(timeout: .seconds(280)) }
        try await withDeadline(seconds: 60) { while reports.count < total { try await Task.sleep(for: .milliseconds(20)) } }
        let delivered = Set(reports.all.filter(\.isDelivered).map(\.id.rawValue))
        let deliveredSequences = Set(sequences.enumerated().compactMap { delivered.contains($0.element!.rawValue) ? $0.offset : nil })
        try await withDeadline(seconds: 300) {
            while !consumed.withLock({ deliveredSequences.isSubset(of: $0) }) { try await Task.sleep(for: .milliseconds(50)) }
        }
        reader.cancel()
        await consumer.close()
        await producer.shutdown()

        let log = read.withLock { read in read.mapValues { $0.sorted { $0.key < $1.key }.map(\.value) } }
        let cuts = proxy.stop()
        let audit = DeliveryAudit(sequences: sequences, reports: reports.all, log: log, partitions: partitions)
        print("FAULT chaos proxy (\(cuts)): \(audit); consumer read \(consumed.withLock { $0.count }) distinct")
        #expect(audit.unreported == 0 && audit.reportedTwice == 0, "every message exactly one outcome")
        #expect(audit.delivered == total, "a 300 s message timeout outlasts the cuts")
        #expect(audit.lost == 0)
        #expect(audit.duplicates == 0 && audit.outOfOrder == 0, "idempotence: once each, in order")
        #expect(audit.unknown == 0)
        #expect(consumed.withLock { deliveredSequences.isSubset(of: $0) }, "the consumer read everything delivered")
    }
}
