import KafkaKitTestSupport
import Synchronization
import Testing

@testable import KafkaKit

/// Producer behaviour under faults, on librdkafka's mock cluster.
@Suite("Producer on the mock cluster")
struct ProducerMockClusterTests {
    func configuration(_ cluster: MockCluster) -> KafkaConfiguration {
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(1)
        return configuration
    }

    /// Reads events until `count` delivery reports arrived.
    func collectReports(_ events: KafkaProducerEvents, count: Int) async -> [KafkaDeliveryReport] {
        var reports: [KafkaDeliveryReport] = []
        for await event in events {
            if case .deliveryReports(let batch) = event { reports += batch }
            if reports.count >= count { break }
        }
        return reports
    }

    @Test("every fire-and-forget send gets one report with its ID, partition and offset")
    func deliveryReports() async throws {
        let cluster = MockCluster()
        cluster.createTopic("reports", partitions: 3)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration(cluster))
        var ids: [KafkaProducerMessageID] = []
        for i in 0..<1000 {
            ids.append(try await producer.send(KafkaProducerRecord(topic: "reports", key: "k\(i)", value: "v\(i)")))
        }
        let reports = try await withDeadline(seconds: 30) { await collectReports(events, count: 1000) }
        #expect(reports.count == 1000)
        #expect(Set(reports.map(\.id)) == Set(ids), "exactly one report per ID")
        #expect(reports.allSatisfy { $0.isDelivered && $0.topic == "reports" })
        // Offsets per partition are 0..<n with no gap or repeat.
        for partition in Int32(0)..<3 {
            let offsets = reports.filter { $0.partition == partition }.map(\.offset).sorted()
            #expect(offsets == Array(0..<Int64(offsets.count)))
        }
        #expect(producer.deliveredCount == 1000)
        #expect(producer.failedCount == 0)
        await producer.shutdown()
    }

    @Test("an event handler receives exactly one report per fire-and-forget send")
    func eventHandler() async throws {
        let cluster = MockCluster()
        cluster.createTopic("handler", partitions: 2)
        let seen = ReportCollector()
        let producer = try KafkaProducer(configuration: configuration(cluster)) { event in
            if case .deliveryReports(let batch) = event { seen.add(batch) }
        }
        var ids = Set<KafkaProducerMessageID>()
        for i in 0..<500 { ids.insert(try await producer.send(KafkaProducerRecord(topic: "handler", value: "v\(i)"))) }
        for i in 0..<500 { ids.insert(try producer.trySend(KafkaProducerRecord(topic: "handler", value: "s\(i)"))) }
        try await producer.flush(timeout: .seconds(30))
        let reports = seen.reports
        #expect(reports.count == 1000)
        #expect(Set(reports.map(\.id)) == ids)
        #expect(reports.allSatisfy { $0.isDelivered })
        await producer.shutdown()
    }

    @Test("trySend fails at once on a full queue, whatever the policy")
    func trySendFailsFast() async throws {
        let cluster = MockCluster()
        cluster.createTopic("try", partitions: 1)
        var configuration = configuration(cluster)
        configuration["queue.buffering.max.messages"] = "5"
        configuration.queueFullPolicy = .wait(timeout: .seconds(60))
        let producer = try KafkaProducer(configuration: configuration)
        cluster.setBrokerDown()
        for i in 0..<5 { _ = try producer.trySend(KafkaProducerRecord(topic: "try", value: "m\(i)")) }
        let error = try #require(throws: KafkaError.self) { try producer.trySend(KafkaProducerRecord(topic: "try", value: "x")) }
        #expect(error.code == .queueFull)
        await producer.shutdown(timeout: .zero)
    }

    @Test("an awaited send returns the stored partition and offset")
    func awaitedSend() async throws {
        let cluster = MockCluster()
        cluster.createTopic("awaited", partitions: 1)
        let producer = try KafkaProducer(configuration: configuration(cluster))
        let first = try await producer.sendAndWait(KafkaProducerRecord(topic: "awaited", value: "a"))
        let second = try await producer.sendAndWait(KafkaProducerRecord(topic: "awaited", partition: 0, value: "b"))
        #expect(first.partition == 0 && first.offset == 0)
        #expect(second.offset == 1)
        #expect(second.id > first.id)
        #expect(second.timestamp != nil)
        await producer.shutdown()
    }

    @Test("a full queue fails at once under the fail-fast policy")
    func queueFullFailFast() async throws {
        let cluster = MockCluster()
        cluster.createTopic("full", partitions: 1)
        var configuration = configuration(cluster)
        configuration["queue.buffering.max.messages"] = "10"
        configuration.queueFullPolicy = .failFast
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        cluster.setBrokerDown()
        for i in 0..<10 { _ = try await producer.send(KafkaProducerRecord(topic: "full", value: "m\(i)")) }
        let error = try await #require(throws: KafkaError.self) {
            try await producer.send(KafkaProducerRecord(topic: "full", value: "one too many"))
        }
        #expect(error.code == .queueFull)
        #expect(error.topic == "full")
        // The ten queued ones are not lost: they are delivered once the broker is back.
        cluster.setBrokerUp()
        let reports = try await withDeadline(seconds: 30) { await collectReports(events, count: 10) }
        #expect(reports.count == 10 && reports.allSatisfy { $0.isDelivered })
        await producer.shutdown()
    }

    @Test("a full queue waits for reports to drain, then gives up with a clear error")
    func queueFullWaits() async throws {
        let cluster = MockCluster()
        cluster.createTopic("wait", partitions: 1)
        var configuration = configuration(cluster)
        configuration["queue.buffering.max.messages"] = "10"
        configuration.queueFullPolicy = .wait(timeout: .milliseconds(300))
        let producer = try KafkaProducer(configuration: configuration)
        cluster.setBrokerDown()
        for i in 0..<10 { _ = try await producer.send(KafkaProducerRecord(topic: "wait", value: "m\(i)")) }

        // Nothing drains while the broker is down: the send waits out its bound, then fails.
        let error = try await #require(throws: KafkaError.self) {
            try await producer.send(KafkaProducerRecord(topic: "wait", value: "blocked"))
        }
        #expect(error.code == .queueFull)
        #expect(error.message.contains("still full after waiting"))

        // With a longer bound the send goes through as soon as the broker returns.
        var patient = configuration
        patient.queueFullPolicy = .wait(timeout: .seconds(30))
        let patientProducer = try KafkaProducer(configuration: patient)
        for i in 0..<10 { _ = try await patientProducer.send(KafkaProducerRecord(topic: "wait", value: "p\(i)")) }
        let waiting = Task { try await patientProducer.sendAndWait(KafkaProducerRecord(topic: "wait", value: "eventually")) }
        // Only makes it likely that the send is waiting when the broker returns (nothing shows
        // that it is); waiting or not, it must go through.
        try await Task.sleep(for: .milliseconds(200))
        cluster.setBrokerUp()
        let report = try await withDeadline(seconds: 30) { try await waiting.value }
        #expect(report.isDelivered)
        await producer.shutdown()
        await patientProducer.shutdown()
    }

    @Test("purged messages each get a purge report")
    func purge() async throws {
        let cluster = MockCluster()
        cluster.createTopic("purge", partitions: 2)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration(cluster))
        cluster.setBrokerDown()
        var ids = Set<KafkaProducerMessageID>()
        for i in 0..<100 { ids.insert(try await producer.send(KafkaProducerRecord(topic: "purge", value: "m\(i)"))) }
        producer.purge(includingInFlight: true)
        let reports = try await withDeadline(seconds: 30) { await collectReports(events, count: 100) }
        #expect(Set(reports.map(\.id)) == ids)
        #expect(reports.allSatisfy { $0.errorCode == .purgedFromQueue || $0.errorCode == .purgedInFlight })
        #expect(reports.first?.error?.message.contains("Purged") == true)
        #expect(producer.failedCount == 100)
        await producer.shutdown(timeout: .zero)
    }

    @Test("an oversized message is refused with an error naming message.max.bytes")
    func oversized() async throws {
        let cluster = MockCluster()
        cluster.createTopic("big", partitions: 1)
        var configuration = configuration(cluster)
        configuration.messageMaxBytes = 1000
        let producer = try KafkaProducer(configuration: configuration)
        let error = try await #require(throws: KafkaError.self) {
            try await producer.send(KafkaProducerRecord(topic: "big", value: [UInt8](repeating: 1, count: 5000)))
        }
        #expect(error.code == .messageSizeTooLarge)
        #expect(error.property == "message.max.bytes")
        #expect(error.message.contains("5000 bytes"))
        let fits = try await producer.sendAndWait(KafkaProducerRecord(topic: "big", value: [UInt8](repeating: 1, count: 500)))
        #expect(fits.isDelivered)
        await producer.shutdown()
    }

    @Test("an unknown partition is refused when the send is made")
    func unknownPartition() async throws {
        let cluster = MockCluster()
        cluster.createTopic("parts", partitions: 2)
        let producer = try KafkaProducer(configuration: configuration(cluster))
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "parts", value: "learn the metadata"))
        let error = try await #require(throws: KafkaError.self) {
            try await producer.send(KafkaProducerRecord(topic: "parts", partition: 7, value: "x"))
        }
        #expect(error.code == .unknownPartition)
        await producer.shutdown()
    }

    @Test("a broker down past message.timeout.ms times out every message, awaited or not")
    func brokerDownTimesOut() async throws {
        let cluster = MockCluster()
        cluster.createTopic("down", partitions: 2)
        var configuration = configuration(cluster)
        configuration.messageTimeout = .milliseconds(1500)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "down", value: "before"))
        cluster.setBrokerDown()

        var fireAndForget = Set<KafkaProducerMessageID>()
        for i in 0..<50 { fireAndForget.insert(try await producer.send(KafkaProducerRecord(topic: "down", value: "f\(i)"))) }
        let awaited = try await withDeadline(seconds: 30) {
            try await withThrowingTaskGroup(of: KafkaError.Code?.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        do {
                            _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "down", value: "a\(i)"))
                            return nil
                        } catch let error as KafkaError {
                            return error.code
                        }
                    }
                }
                var codes: [KafkaError.Code?] = []
                for try await code in group { codes.append(code) }
                return codes
            }
        }
        #expect(awaited.count == 50)
        #expect(awaited.allSatisfy { $0 == .messageTimedOut })
        let reports = try await withDeadline(seconds: 30) { await collectReports(events, count: 50) }
        #expect(Set(reports.map(\.id)) == fireAndForget)
        #expect(reports.allSatisfy { $0.errorCode == .messageTimedOut })
        #expect(producer.failedCount == 100)
        await producer.shutdown(timeout: .zero)
    }

    @Test("shutdown purges what cannot be delivered in time and reports it; later sends fail")
    func shutdownReportsTheRest() async throws {
        let cluster = MockCluster()
        cluster.createTopic("bye", partitions: 1)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration(cluster))
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "bye", value: "hello"))
        cluster.setBrokerDown()
        for i in 0..<20 { _ = try await producer.send(KafkaProducerRecord(topic: "bye", value: "m\(i)")) }
        let purged = await producer.shutdown(timeout: .milliseconds(200))
        #expect(purged == 20)
        var reports: [KafkaDeliveryReport] = []
        for await event in events {  // the sequence ends after shutdown
            if case .deliveryReports(let batch) = event { reports += batch }
        }
        #expect(reports.count == 20)
        #expect(reports.allSatisfy { $0.errorCode == .purgedFromQueue || $0.errorCode == .purgedInFlight })
        let error = try await #require(throws: KafkaError.self) {
            try await producer.send(KafkaProducerRecord(topic: "bye", value: "too late"))
        }
        #expect(error.code == .destroyed)
    }

    @Test("leader change mid-stream loses nothing")
    func leaderChange() async throws {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic("moving", partitions: 1, replicationFactor: 3)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration(cluster))
        let collector = Task { await collectReports(events, count: 400) }
        for i in 0..<400 {
            if i == 200 { cluster.setLeader(topic: "moving", partition: 0, broker: 3) }
            _ = try await producer.send(KafkaProducerRecord(topic: "moving", value: "m\(i)"))
        }
        let reports = try await withDeadline(seconds: 60) { await collector.value }
        #expect(reports.count == 400)
        #expect(reports.allSatisfy { $0.isDelivered })
        #expect(Set(reports.map(\.offset)).count == 400)
        await producer.shutdown()
    }
}

/// Delivery reports gathered by an event handler (called on KafkaKit's threads).
/// A receiver that records its one report (and would record a second, to catch it).
final class RecordingReceiver: KafkaDeliveryReceiver, @unchecked Sendable {
    let index: Int
    let collector: ReportCollector

    init(index: Int, collector: ReportCollector) {
        self.index = index
        self.collector = collector
    }

    override func received(_ report: KafkaDeliveryReport) { collector.add([report]) }
}

@Suite("Producer per-message outcomes on the mock cluster")
struct ProducerPerMessageTests {
    @Test("receivers and onDelivery handlers get exactly one report per queued message, none for a refused one")
    func perMessageOutcomes() async throws {
        let cluster = MockCluster()
        cluster.createTopic("per-message", partitions: 2)
        let configuration = cluster.configuration()
        let producer = try KafkaProducer(configuration: configuration)
        let collector = ReportCollector()
        var ids = Set<KafkaProducerMessageID>()
        for i in 0..<300 {
            let record = KafkaProducerRecord(topic: "per-message", key: "k\(i)", value: "v\(i)")
            switch i % 3 {
            case 0: ids.insert(try producer.trySend(record, reportingTo: RecordingReceiver(index: i, collector: collector)))
            case 1: ids.insert(try producer.trySend(record) { collector.add([$0]) })
            default:
                ids.insert(try await producer.send(record, reportingTo: RecordingReceiver(index: i, collector: collector)))
            }
        }
        try await withDeadline(seconds: 30) { while collector.reports.count < 300 { try await Task.sleep(for: .milliseconds(10)) } }
        // Refused at once (no such partition, now that the topic's metadata is known): the
        // receiver is never called.
        let refused = #expect(throws: KafkaError.self) {
            try producer.trySend(KafkaProducerRecord(topic: "per-message", partition: 7, value: "x"), reportingTo: RecordingReceiver(index: -1, collector: collector))
        }
        #expect(refused?.code == .unknownPartition)
        await producer.shutdown()
        let reports = collector.reports
        #expect(reports.count == 300, "one report each, nothing for the refused one")
        #expect(Set(reports.map(\.id)) == ids)
        #expect(reports.allSatisfy { $0.isDelivered && $0.topic == "per-message" })
    }

    @Test("a broker that stays down fails each receiver's message once; shutdown reports the purged ones")
    func perMessageFailures() async throws {
        let cluster = MockCluster()
        cluster.createTopic("per-message-down", partitions: 1)
        var configuration = cluster.configuration()
        configuration.messageTimeout = .milliseconds(1000)
        let producer = try KafkaProducer(configuration: configuration)
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "per-message-down", value: "warm-up"))
        cluster.setBrokerDown()
        let timedOut = ReportCollector()
        for i in 0..<20 { try producer.trySend(KafkaProducerRecord(topic: "per-message-down", value: "t\(i)"), reportingTo: RecordingReceiver(index: i, collector: timedOut)) }
        try await withDeadline(seconds: 30) { while timedOut.reports.count < 20 { try await Task.sleep(for: .milliseconds(10)) } }
        #expect(timedOut.reports.allSatisfy { $0.errorCode == .messageTimedOut })

        let purged = ReportCollector()
        var longer = configuration
        longer.messageTimeout = .seconds(120)
        let second = try KafkaProducer(configuration: longer)
        for i in 0..<20 { try second.trySend(KafkaProducerRecord(topic: "per-message-down", value: "p\(i)")) { purged.add([$0]) } }
        #expect(await second.shutdown(timeout: .milliseconds(200)) == 20)
        #expect(purged.reports.count == 20, "every handler has its report when shutdown returns")
        #expect(purged.reports.allSatisfy { $0.errorCode == .purgedFromQueue || $0.errorCode == .purgedInFlight })
        #expect(timedOut.reports.count == 20, "no second report")
        await producer.shutdown(timeout: .zero)
    }
}

final class ReportCollector: Sendable {
    private let storage = Mutex<[KafkaDeliveryReport]>([])
    func add(_ batch: [KafkaDeliveryReport]) { storage.withLock { $0 += batch } }
    var reports: [KafkaDeliveryReport] { storage.withLock { $0 } }
}
