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
        // Made with several partitions, not left to the broker's default: a single partition
        // would not test the partitioner.
        let admin = try KafkaAdminClient(configuration: configuration())
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 3)])
        let partitions = try PlainConsumer.partitionCount(topic: topic, bootstrapServers: servers)
        #expect(partitions == 3)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration())
        let first = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, key: "first", value: "first"))
        #expect(first.offset >= 0)

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

        // At least once: without idempotence a retried produce may be stored twice. Read until
        // every key is there; each copy must be the record as sent.
        var keysRead = Set<String>()
        let read = try PlainConsumer.read(topic: topic, bootstrapServers: servers, timeoutSeconds: 60) { read in
            if let record = read.last { keysRead.insert(String(decoding: record.key ?? [], as: UTF8.self)) }
            return keysRead.count >= 10_001
        }
        var checked = Set<String>()
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
            checked.insert(key)
        }
        #expect(checked == Set(sent.keys))
        if read.count > 10_001 { print("roundTrip: \(read.count - 10_001) records stored twice (allowed: at-least-once)") }
        // The delivery reports agree with where the records were found: the acknowledged copy
        // is among the key's copies.
        var foundAt: [String: [KafkaTopicPartition]] = [:]
        for record in read {
            foundAt[String(decoding: record.key ?? [], as: UTF8.self), default: []]
                .append(KafkaTopicPartition(topic: topic, partition: record.partition, offset: record.offset))
        }
        for report in reports.prefix(500) {
            guard let key = idToKey[report.id] else { continue }  // failed above: not a sent ID
            let acknowledged = KafkaTopicPartition(topic: topic, partition: report.partition, offset: report.offset)
            #expect(foundAt[key, default: []].contains(acknowledged), "\(key) acknowledged at \(acknowledged), found at \(foundAt[key, default: []])")
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
        // Offsets grow in the order of acknowledged writes; they need not be consecutive (a
        // retried produce may be stored twice: at least once).
        #expect(deleted.partition == 0 && keyless.partition == 0 && keyless.offset > deleted.offset)
        let read = try PlainConsumer.read(topic: topic, bootstrapServers: servers) { read in read.contains { $0.key == nil } }
            .sorted { $0.offset < $1.offset }
        let tombstones = read.filter { $0.key == Array("gone".utf8) }, withoutKey = read.filter { $0.key == nil }
        #expect(!tombstones.isEmpty && tombstones.allSatisfy { $0.value == nil })
        #expect(withoutKey.allSatisfy { $0.value == Array("no key".utf8) })
        #expect(tombstones.count + withoutKey.count == read.count)
        #expect(read.first?.key == Array("gone".utf8), "the tombstone was acknowledged before the keyless record was sent")
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

        // The reports and the client error come in no promised order: read until both are in.
        let (reports, errors) = try await withDeadline(seconds: 30) {
            var reports: [KafkaDeliveryReport] = []
            var errors: [KafkaError] = []
            for await event in events {
                switch event {
                case .deliveryReports(let batch): reports += batch
                case .error(let error): errors.append(error)
                case .statistics: break
                }
                if reports.count >= 100 && !errors.isEmpty { break }
            }
            return (reports, errors)
        }
        #expect(Set(reports.map(\.id)) == ids)
        #expect(reports.allSatisfy { $0.errorCode == .messageTimedOut })
        let awaitedError = try await #require(throws: KafkaError.self) { try await awaited.value }
        #expect(awaitedError.code == .messageTimedOut)
        #expect(!errors.isEmpty, "librdkafka reports the unreachable broker as a client error")
        // librdkafka's log lines come on their own path, in no promised order with the events.
        let logged = (try? await withDeadline(seconds: 30) { () -> Bool in
            while !logs.lines.contains(where: { $0.contains("127.0.0.1:1") }) { try await Task.sleep(for: .milliseconds(20)) }
            return true
        }) ?? false
        #expect(logged, "librdkafka's log lines reach the Logger: \(logs.lines.prefix(3))")
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

