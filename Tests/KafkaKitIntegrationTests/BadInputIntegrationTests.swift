import Foundation
import KafkaKit
import KafkaKitTestSupport
import Synchronization
import Testing

/// Issue 11, where the broker's own check is what is tested: a send to a topic name Kafka does
/// not allow (KafkaKit leaves that check to the broker, so that no send pays for it), and
/// records that a real broker must store and return as sent.
@Suite("Bad input: KafkaKit on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct BadInputIntegrationTests {
    func configuration() throws -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration.messageTimeout = .seconds(20)
        return configuration
    }

    static let invalidTopics: [(String, String)] = [
        ("in valid", "' ' is not allowed"),
        ("a/b", "'/' is not allowed"),
        ("..", "it is '..'"),
        ("", "it is empty"),
        (String(repeating: "x", count: 250), "it has 250 characters"),
    ]

    @Test("topic names: a send to a name Kafka does not allow fails, awaited or not, saying why and naming the topic", arguments: invalidTopics)
    func invalidTopic(_ name: String, _ why: String) async throws {
        func check(_ error: KafkaError?) {
            guard let error else { Issue.record("'\(name)' was delivered"); return }
            #expect(error.code == .invalidTopic || error.code == .unknownTopic, "\(error)")
            #expect(error.topic == name, "\(error)")
            #expect(error.message.contains("invalid topic name '\(name)': \(why)"), "\(error)")
        }
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration())
        let awaited = await #expect(throws: KafkaError.self) {
            try await withDeadline(seconds: 60) { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: name, value: "v")) }
        }
        check(awaited)
        // Once the broker has refused the name, librdkafka refuses further sends to it at once
        // (_UNKNOWN_TOPIC); before, the report says it (TOPIC_EXCEPTION). Either says why.
        do {
            let id = try await producer.send(KafkaProducerRecord(topic: name, value: "v"))
            let report = try await withDeadline(seconds: 60) { () -> KafkaDeliveryReport in
                for await case .deliveryReports(let reports) in events {
                    if let report = reports.first(where: { $0.id == id }) { return report }
                }
                throw CancellationError()
            }
            check(report.error)
        } catch let error as KafkaError {
            check(error)
        }
        await producer.shutdown(timeout: .seconds(5))
    }

    /// A record a real broker must keep as it is.
    struct RecordRow: Sendable, CustomTestStringConvertible {
        var name: String
        var key: [UInt8]?
        var value: [UInt8]?
        var headers: [KafkaHeader] = []
        var testDescription: String { name }
    }

    static let records: [RecordRow] = [
        RecordRow(name: "empty value", key: Array("k".utf8), value: []),
        RecordRow(name: "no value", key: Array("k".utf8), value: nil),
        RecordRow(name: "empty key", key: [], value: Array("v".utf8)),
        RecordRow(name: "non-UTF-8 key", key: [0xFF, 0xFE, 0x00], value: Array("v".utf8)),
        RecordRow(name: "header with an empty name", key: nil, value: Array("v".utf8), headers: [KafkaHeader(key: "", value: "x"), KafkaHeader(key: "", value: nil)]),
    ]

    @Test("contents: the broker returns empty and missing values and keys, non-UTF-8 keys and empty header names as sent", arguments: records)
    func roundTrip(_ row: RecordRow) async throws {
        let (name, key, value, headers) = (row.name, row.key, row.value, row.headers)
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("odd")
        let producer = try KafkaProducer(configuration: configuration())
        let report = try await withDeadline(seconds: 60) {
            try await producer.sendAndWait(KafkaProducerRecord(topic: topic, partition: 0, key: key, value: value, headers: headers))
        }
        #expect(report.isDelivered)
        await producer.shutdown()
        let read = try PlainConsumer.read(topic: topic, count: 1, bootstrapServers: servers)
        #expect(read.first?.key == key, "\(name)")
        #expect(read.first?.value == value, "\(name)")
        #expect(read.first?.headers.map(\.0) == headers.map(\.key), "\(name)")
        #expect(read.first?.headers.map(\.1) == headers.map(\.value), "\(name)")
    }
}
