import Foundation
import KafkaKit
import KafkaKitTestSupport
import Logging
import Synchronization
import Testing

/// The producer against the real local broker (`make test` starts it).
@Suite("Producer on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct ProducerIntegrationTests {
    func configuration() throws -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration.clientID = "kafkakit-tests"
        configuration.messageTimeout = .seconds(30)
        return configuration
    }

    @Test("10 000 records with keys, headers and timestamps come back exactly as sent, on Java's partitions")
    func roundTrip() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("roundtrip")
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration())

        // Let the broker create the topic, then learn its partition count.
        let first = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, key: "first", value: "first"))
        #expect(first.offset >= 0)
        let partitions = try PlainConsumer.partitionCount(topic: topic, bootstrapServers: servers)
        #expect(partitions > 1, "a single partition would not test the partitioner")

        let base = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000
        var sent: [String: KafkaProducerRecord] = [:]
        var idToKey: [KafkaProducerMessageID: String] = [:]
        for i in 0..<10_000 {
            let key = "key-\(i)-\(i % 7)"
            var headers = [KafkaHeader(key: "index", value: String(i)), KafkaHeader(key: "binary", value: [0, 255, UInt8(i % 256)])]
            if i % 3 == 0 { headers.append(KafkaHeader(key: "empty", value: nil)) }
            if i % 5 == 0 { headers.append(KafkaHeader(key: "index", value: "repeated")) }
            let record = KafkaProducerRecord(
                topic: topic,
                key: Array(key.utf8),
                value: i % 11 == 0 ? [] : Array("value \(i) ✓".utf8),
                headers: headers,
                timestamp: Date(timeIntervalSince1970: Double(base + Int64(i)) / 1000)
            )
            sent[key] = record
            idToKey[try await producer.send(record)] = key
        }

        var reports: [KafkaDeliveryReport] = []
        try await withDeadline(seconds: 60) {
            var collected: [KafkaDeliveryReport] = []
            for await event in events {
                if case .deliveryReports(let batch) = event { collected += batch }
                if collected.count == 10_000 { break }
            }
            return collected
        }.forEach { reports.append($0) }
        #expect(reports.count == 10_000)
        #expect(reports.allSatisfy { $0.isDelivered }, "\(reports.first { !$0.isDelivered }?.error.map(String.init(describing:)) ?? "")")
        #expect(Set(reports.map(\.id)) == Set(idToKey.keys))

        let read = try PlainConsumer.read(topic: topic, count: 10_001, bootstrapServers: servers)
        var checked = 0
        for record in read {
            let key = String(decoding: record.key ?? [], as: UTF8.self)
            if key == "first" { continue }
            guard let original = sent[key] else {
                Issue.record("unexpected key \(key)")
                continue
            }
            #expect(record.value == original.value, "value of \(key)")
            #expect(record.headers.map(\.0) == original.headers.map(\.key), "header names of \(key)")
            #expect(record.headers.map(\.1) == original.headers.map(\.value), "header values of \(key)")
            let expectedTimestamp = Int64((original.timestamp!.timeIntervalSince1970 * 1000).rounded())
            #expect(record.timestampMilliseconds == expectedTimestamp, "timestamp of \(key)")
            #expect(
                record.partition == JavaPartitioner.partition(forKey: original.key!, partitionCount: partitions),
                "key \(key) must land where Java's murmur2 puts it"
            )
            checked += 1
        }
        #expect(checked == 10_000)
        // The delivery reports agree with where the records were found.
        let foundAt = Dictionary(uniqueKeysWithValues: read.map { (String(decoding: $0.key ?? [], as: UTF8.self), ($0.partition, $0.offset)) })
        for report in reports.prefix(500) {
            let key = idToKey[report.id]!
            #expect(foundAt[key]! == (report.partition, report.offset))
        }
        await producer.shutdown()
    }

    @Test("a tombstone and a record without key come back as such")
    func tombstone() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("tombstone")
        let producer = try KafkaProducer(configuration: configuration())
        let deleted = try await producer.sendAndWait(.tombstone(topic: topic, partition: 0, key: Array("gone".utf8)))
        let keyless = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, partition: 0, value: "no key"))
        #expect(deleted.partition == 0 && keyless.offset == deleted.offset + 1)
        let read = try PlainConsumer.read(topic: topic, count: 2, bootstrapServers: servers).sorted { $0.offset < $1.offset }
        #expect(read[0].key == Array("gone".utf8) && read[0].value == nil)
        #expect(read[1].key == nil && read[1].value == Array("no key".utf8))
        await producer.shutdown()
    }

    @Test("an awaited send with linger.ms=0 is acknowledged and flush leaves nothing outstanding")
    func awaitedAndFlush() async throws {
        var configuration = try configuration()
        configuration.linger = .zero
        let topic = TestBroker.freshTopic("flush")
        let producer = try KafkaProducer(configuration: configuration)
        let report = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, key: "k", value: "v"))
        #expect(report.isDelivered && report.topic == topic)
        for i in 0..<1000 { _ = try await producer.send(KafkaProducerRecord(topic: topic, value: "m\(i)")) }
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.outputQueueLength == 0)
        #expect(producer.deliveredCount == 1001)
        #expect(await producer.shutdown() == 0)
    }

    @Test("an unreachable broker fails every message with a timeout, reports a client error and logs")
    func unreachableBroker() async throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])  // nothing listens on port 1
        configuration.messageTimeout = .milliseconds(2000)
        let logs = CapturedLogs()
        var logger = Logger(label: "test") { _ in CapturingLogHandler(logs) }
        logger.logLevel = .info
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: logger)
        var ids = Set<KafkaProducerMessageID>()
        for i in 0..<100 { ids.insert(try await producer.send(KafkaProducerRecord(topic: "nowhere", value: "m\(i)"))) }
        let awaited = Task { try await producer.sendAndWait(KafkaProducerRecord(topic: "nowhere", value: "awaited")) }

        let (reports, errors) = try await withDeadline(seconds: 30) {
            var reports: [KafkaDeliveryReport] = []
            var errors: [KafkaError] = []
            for await event in events {
                switch event {
                case .deliveryReports(let batch): reports += batch
                case .error(let error): errors.append(error)
                case .statistics: break
                }
                if reports.count == 100 { break }
            }
            return (reports, errors)
        }
        #expect(Set(reports.map(\.id)) == ids)
        #expect(reports.allSatisfy { $0.errorCode == .messageTimedOut })
        let awaitedError = try await #require(throws: KafkaError.self) { try await awaited.value }
        #expect(awaitedError.code == .messageTimedOut)
        #expect(!errors.isEmpty, "librdkafka reports the unreachable broker as a client error")
        #expect(logs.lines.contains { $0.contains("127.0.0.1:1") }, "librdkafka's log lines reach the Logger: \(logs.lines.prefix(3))")
        await producer.shutdown(timeout: .zero)
    }

    @Test("the README pattern — break out of the events, then 70 000 sends — shuts down within its timeout")
    func readmePatternThenManySends() async throws {
        let topic = TestBroker.freshTopic("readme-many")
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration())
        let id = try await producer.send(KafkaProducerRecord(topic: topic, key: "42", value: "paid"))
        try await returnsWithin(seconds: 60) {
            for await case .deliveryReports(let reports) in events where reports.contains(where: { $0.id == id }) { break }
        }
        for i in 0..<70_000 { _ = try await producer.send(KafkaProducerRecord(topic: topic, value: "m\(i)")) }
        try await returnsWithin(seconds: 60) { await producer.shutdown(timeout: .seconds(5)) }
        #expect(producer.deliveredCount + producer.failedCount == 70_001, "every message has its outcome")
        #expect(producer.outputQueueLength == 0)
    }

    @Test("statistics JSON arrives as events when an interval is set")
    func statistics() async throws {
        var configuration = try configuration()
        configuration.statisticsInterval = .milliseconds(100)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        _ = try await producer.send(KafkaProducerRecord(topic: TestBroker.freshTopic("stats"), value: "x"))
        let json = try await withDeadline(seconds: 10) { () -> String? in
            for await event in events { if case .statistics(let json) = event { return json } }
            return nil
        }
        let object = try JSONSerialization.jsonObject(with: Data(try #require(json).utf8)) as? [String: Any]
        #expect(object?["type"] as? String == "producer")
        #expect(object?["client_id"] as? String == "kafkakit-tests")
        await producer.shutdown()
    }
}

/// Fails with ``DeadlineExceeded`` if `body` has not returned within `seconds`, even if it
/// never returns (``withDeadline(seconds:_:)`` waits for its body).
@discardableResult
private func returnsWithin<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
        let once = ResumeOnce(continuation)
        Task {
            do { once.resume(.success(try await body())) } catch { once.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            once.resume(.failure(DeadlineExceeded(seconds: seconds)))
        }
    }
    return try result.get()
}

/// A continuation resumed by whichever comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<T, any Error>, Never>?>

    init(_ continuation: CheckedContinuation<Result<T, any Error>, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(returning: result)
    }
}

/// Log lines captured from a `Logger`.
final class CapturedLogs: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var lines: [String] { storage.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(_ logs: CapturedLogs) { self.logs = logs }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        logs.append("\(event.level) \(event.message)")
    }
}
