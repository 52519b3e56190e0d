import Foundation
import KafkaKitTestSupport
import Testing

@testable import KafkaKit

/// Issue 11, for the client library: configuration properties, topic names, record sizes and
/// record contents. A bad input is a ``KafkaError`` naming what was wrong (the property, the
/// topic, the size and the limit); what Kafka allows is carried as it is and comes back so.
@Suite("Bad input: KafkaKit")
struct KafkaKitBadInputTests {
    enum ClientKind: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case producer, consumer, partitionConsumer, admin
        var testDescription: String { rawValue }

        func make(_ configuration: KafkaConfiguration) throws {
            var configuration = configuration
            switch self {
            case .producer: _ = try KafkaProducer(configuration: configuration)
            case .consumer:
                configuration["group.id"] = configuration["group.id"] ?? "bad-input"
                _ = try KafkaConsumer(configuration: configuration)
            case .partitionConsumer: _ = try KafkaPartitionConsumer(configuration: configuration)
            case .admin: _ = try KafkaAdminClient(configuration: configuration)
            }
        }
    }

    /// A configuration a client cannot be made with, the property the error must name, and
    /// words of its message.
    struct PropertyRow: Sendable, CustomTestStringConvertible {
        var properties: [String: String] = [:]
        var topicProperties: [String: String] = [:]
        var eventBufferCapacity = 65_536
        var consumerBatchSize = 1024
        var property: String
        var says: String
        var testDescription: String { "\(property): \(says)" }

        var configuration: KafkaConfiguration {
            var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
            for (name, value) in properties { configuration[name] = value }
            configuration.topicProperties = topicProperties
            configuration.eventBufferCapacity = eventBufferCapacity
            configuration.consumerBatchSize = consumerBatchSize
            return configuration
        }
    }

    static let propertyRows: [PropertyRow] = [
        PropertyRow(properties: ["no.such.property": "1"], property: "no.such.property", says: "unknown configuration property \"no.such.property\""),
        PropertyRow(properties: ["": "1"], property: "", says: "unknown configuration property \"\""),
        PropertyRow(properties: ["linger.ms": "banana"], property: "linger.ms", says: "Invalid value"),
        PropertyRow(properties: ["acks": "banana"], property: "acks", says: "Invalid value"),
        PropertyRow(properties: ["message.max.bytes": "10"], property: "message.max.bytes", says: "outside allowed range 1000..1000000000"),
        PropertyRow(properties: ["session.timeout.ms": "-5"], property: "session.timeout.ms", says: "outside allowed range"),
        PropertyRow(properties: ["enable.idempotence": "perhaps"], property: "enable.idempotence", says: "Expected bool value for \"enable.idempotence\""),
        PropertyRow(properties: ["compression.codec": "zip"], property: "compression.codec", says: "Invalid value"),
        PropertyRow(properties: ["linger.ms\u{0}junk": "5"], property: "linger.ms\u{0}junk", says: "contains a NUL character"),
        PropertyRow(properties: ["client.id": "a\u{0}b"], property: "client.id", says: "the value of client.id contains a NUL character"),
        PropertyRow(properties: ["bootstrap.servers": "h:x"], property: "bootstrap.servers", says: "bad port 'x' in broker 'h:x'"),
        PropertyRow(properties: ["bootstrap.servers": "h:1,h:0"], property: "bootstrap.servers", says: "bad port '0' in broker 'h:0'"),
        PropertyRow(properties: ["bootstrap.servers": "h:1,:9092"], property: "bootstrap.servers", says: "missing host in broker ':9092'"),
        PropertyRow(properties: ["bootstrap.servers": " , "], property: "bootstrap.servers", says: "the broker list is empty"),
        PropertyRow(properties: ["metadata.broker.list": "[::1:9092"], property: "metadata.broker.list", says: "unclosed '['"),
        PropertyRow(properties: ["sasl.password": "hunter2", "security.protocol": "carrier-pigeon"], property: "security.protocol", says: "security.protocol"),
        PropertyRow(topicProperties: ["acks": "banana"], property: "acks", says: "Invalid value"),
        PropertyRow(topicProperties: ["no.such.topic.property": "1"], property: "no.such.topic.property", says: "unknown configuration property"),
        PropertyRow(eventBufferCapacity: 0, property: "eventBufferCapacity", says: "eventBufferCapacity must be 1 or more, not 0"),
        PropertyRow(consumerBatchSize: -1, property: "consumerBatchSize", says: "consumerBatchSize must be 1 or more, not -1"),
    ]

    @Test("properties: every client refuses a bad name or value, naming the property and never a secret", arguments: propertyRows, ClientKind.allCases)
    func property(_ row: PropertyRow, _ kind: ClientKind) throws {
        let error = try #require(throws: KafkaError.self) { try kind.make(row.configuration) }
        #expect(error.code == .invalidArgument)
        #expect(error.property == row.property, "\(error)")
        #expect(error.message.contains(row.says), "\(error)")
        #expect(error.description.contains("property \(row.property)"), "\(error)")
        #expect(!error.description.contains("hunter2"))
    }

    @Test("properties: a consumer without group.id is refused, naming it")
    func missingGroup() throws {
        let error = try #require(throws: KafkaError.self) { try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])) }
        #expect(error.property == "group.id" || error.message.contains("group.id"), "\(error)")
    }

    /// A name Kafka does not allow for a topic, and why.
    struct TopicRow: Sendable, CustomTestStringConvertible {
        var name: String
        var why: String
        var testDescription: String { "'\(name.prefix(20).debugDescription)' \(why)" }
    }

    static let topicRows: [TopicRow] = [
        TopicRow(name: "", why: "it is empty"),
        TopicRow(name: ".", why: "it is '.'"),
        TopicRow(name: "..", why: "it is '..'"),
        TopicRow(name: "in valid", why: "' ' is not allowed"),
        TopicRow(name: "a/b", why: "'/' is not allowed"),
        TopicRow(name: "caf\u{e9}", why: "'é' is not allowed"),
        TopicRow(name: "a\nb", why: #"'\n' is not allowed"#),
        TopicRow(name: "a\u{0}b", why: #"'\0' is not allowed"#),
        TopicRow(name: "tab\t", why: #"'\t' is not allowed"#),
        TopicRow(name: "a,b", why: "',' is not allowed"),
        TopicRow(name: String(repeating: "x", count: 250), why: "it has 250 characters"),
    ]

    /// Names that look odd but Kafka allows.
    static let validTopics = ["a", "...", "a.b_c-D9", "-", "_", String(repeating: "x", count: 249)]

    @Test("topic names: subscribe, assign, partition start and configureTopic refuse a bad name, naming it and why", arguments: topicRows)
    func topicName(_ row: TopicRow) async throws {
        func check(_ what: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("\(what) took '\(row.name)'")
            } catch let error as KafkaError {
                #expect(error.code == .invalidArgument, "\(what): \(error)")
                #expect(error.topic == row.name, "\(what): \(error)")
                #expect(error.message.contains("invalid topic name '\(row.name)': \(row.why)"), "\(what): \(error)")
                #expect(error.message.contains(KafkaError.topicNameRule), "\(what): \(error)")
            } catch {
                Issue.record("\(what): \(error)")
            }
        }
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["group.id"] = "bad-topic"
        let consumer = try KafkaConsumer(configuration: configuration)
        check("subscribe") { try consumer.subscribe(topics: ["ok", row.name]) }
        check("assign") { try consumer.assign([KafkaTopicPartition(topic: row.name, partition: 0, offset: KafkaOffset.beginning)]) }
        let partitionConsumer = try KafkaPartitionConsumer(configuration: configuration)
        check("start") { try partitionConsumer.start(topic: row.name, partition: 0, at: .beginning) }
        check("configureTopic (consumer)") { try partitionConsumer.configureTopic(row.name, properties: ["auto.offset.reset": "earliest"]) }
        let producer = try KafkaProducer(configuration: configuration)
        check("configureTopic (producer)") { try producer.configureTopic(row.name, properties: ["acks": "1"]) }
        // Sends are not checked (that would cost every record); the broker refuses the name
        // with TOPIC_EXCEPTION, and the report's error says why.
        let report = KafkaDeliveryReport(id: .init(rawValue: 1), topic: row.name, partition: -1, offset: -1, timestampMilliseconds: -1, errorCode: .invalidTopic)
        let error = try #require(report.error)
        #expect(error.topic == row.name)
        #expect(error.message.contains("Broker: Invalid topic: invalid topic name '\(row.name)': \(row.why)"), "\(error)")
        await consumer.close()
        await producer.shutdown(timeout: .zero)
    }

    @Test("topic names: names Kafka allows, and '^' patterns, are taken", arguments: validTopics)
    func validTopicName(_ name: String) async throws {
        #expect(KafkaError.invalidTopicName(name) == nil)
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["group.id"] = "good-topic"
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: [name, "^\(name)-.*"])
        #expect(try consumer.subscription().count == 2)
        await consumer.close()
    }

    @Test("subscribe: an empty list and a pattern librdkafka cannot compile are refused in words", arguments: [
        ([String](), "subscribing to no topics"),
        (["^["], "a '^' pattern is not a valid regular expression"),
    ])
    func badSubscription(_ topics: [String], _ says: String) async throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["group.id"] = "bad-subscription"
        let consumer = try KafkaConsumer(configuration: configuration)
        let error = try #require(throws: KafkaError.self) { try consumer.subscribe(topics: topics) }
        #expect(error.message.contains(says), "\(error)")
        await consumer.close()
    }
}

/// Record sizes and contents on librdkafka's mock cluster: no broker-side check is needed.
@Suite("Bad input: KafkaKit records on the mock cluster")
struct KafkaKitRecordBadInputTests {
    /// A record over `message.max.bytes`: key and value sizes, the limit set (`nil`: the
    /// default), and the limit the error must give.
    struct SizeRow: Sendable, CustomTestStringConvertible {
        var keySize: Int?
        var valueSize: Int?
        var limit: Int?
        var shownLimit: Int
        var testDescription: String { "key \(keySize.map(String.init) ?? "none"), value \(valueSize.map(String.init) ?? "none"), limit \(shownLimit)" }
    }

    static let sizeRows: [SizeRow] = [
        SizeRow(keySize: nil, valueSize: 1_000_001, limit: nil, shownLimit: 1_000_000),
        SizeRow(keySize: 600_000, valueSize: 500_000, limit: nil, shownLimit: 1_000_000),
        SizeRow(keySize: 2_000_000, valueSize: nil, limit: nil, shownLimit: 1_000_000),
        SizeRow(keySize: nil, valueSize: 5_000, limit: 2_000, shownLimit: 2_000),
        SizeRow(keySize: nil, valueSize: 16 << 20, limit: nil, shownLimit: 1_000_000),
    ]

    @Test("sizes: a record over message.max.bytes is refused at once by every send, naming its size and the limit", arguments: sizeRows)
    func oversize(_ row: SizeRow) async throws {
        let cluster = MockCluster()
        cluster.createTopic("big", partitions: 1)
        var configuration = cluster.configuration()
        if let limit = row.limit { configuration.messageMaxBytes = limit }
        let (producer, _) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        let record = KafkaProducerRecord(
            topic: "big", key: row.keySize.map { [UInt8](repeating: 0x6b, count: $0) }, value: row.valueSize.map { [UInt8](repeating: 0x76, count: $0) })
        let size = (row.keySize ?? 0) + (row.valueSize ?? 0)
        func check(_ what: String, _ error: (any Error)?) {
            guard let error = error as? KafkaError else { Issue.record("\(what): \(String(describing: error))"); return }
            #expect(error.code == .messageSizeTooLarge, "\(what): \(error)")
            #expect(error.property == "message.max.bytes", "\(what): \(error)")
            #expect(error.topic == "big")
            #expect(error.message.contains("message of \(size) bytes"), "\(what): \(error)")
            #expect(error.message.contains("larger than message.max.bytes (\(row.shownLimit))"), "\(what): \(error)")
        }
        check("trySend", #expect(throws: KafkaError.self) { _ = try producer.trySend(record) })
        let sent: (any Error)? = await { do { _ = try await producer.send(record); return nil } catch { return error } }()
        check("send", sent)
        let awaited: (any Error)? = await { do { _ = try await producer.sendAndWait(record); return nil } catch { return error } }()
        check("sendAndWait", awaited)
        #expect(producer.outputQueueLength == 0, "nothing was queued")
        await producer.shutdown(timeout: .seconds(5))
    }

    /// A record Kafka allows, however odd, and what must come back.
    struct RecordRow: Sendable, CustomTestStringConvertible {
        var name: String
        var key: [UInt8]?
        var value: [UInt8]?
        var headers: [KafkaHeader] = []
        var testDescription: String { name }
    }

    static let recordRows: [RecordRow] = [
        RecordRow(name: "empty value (not a tombstone)", key: nil, value: []),
        RecordRow(name: "no value (a tombstone)", key: Array("k".utf8), value: nil),
        RecordRow(name: "empty key, distinct from no key", key: [], value: Array("v".utf8)),
        RecordRow(name: "no key and no value", key: nil, value: nil),
        RecordRow(name: "non-UTF-8 key and value", key: [0xFF, 0xFE, 0x00, 0xC3], value: [0xC0, 0x80, 0xED, 0xA0, 0x80]),
        RecordRow(name: "NUL bytes inside", key: [0x61, 0x00, 0x62], value: [0x00, 0x00]),
        RecordRow(name: "header with an empty name", key: nil, value: Array("v".utf8), headers: [KafkaHeader(key: "", value: "x")]),
        RecordRow(name: "headers: empty value, no value, repeated names", key: nil, value: Array("v".utf8),
                  headers: [KafkaHeader(key: "a", value: []), KafkaHeader(key: "a", value: nil), KafkaHeader(key: "", value: nil), KafkaHeader(key: "a", value: "2")]),
        RecordRow(name: "header with non-UTF-8 value", key: nil, value: Array("v".utf8), headers: [KafkaHeader(key: "bin", value: [0xFF, 0x00])]),
    ]

    @Test("contents: empty and missing keys, values and headers, non-UTF-8 bytes and empty header names come back as sent", arguments: recordRows)
    func roundTrip(_ row: RecordRow) async throws {
        let cluster = MockCluster()
        cluster.createTopic("odd", partitions: 1)
        let producer = try KafkaProducer(configuration: cluster.configuration())
        let report = try await producer.sendAndWait(KafkaProducerRecord(topic: "odd", partition: 0, key: row.key, value: row.value, headers: row.headers))
        #expect(report.isDelivered)
        await producer.shutdown()

        var configuration = cluster.configuration()
        configuration["group.id"] = "odd"
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.assign([KafkaTopicPartition(topic: "odd", partition: 0, offset: KafkaOffset.beginning)])
        let got = try await withDeadline(seconds: 30) { () -> ([UInt8]?, [UInt8]?, Bool, [KafkaHeader]) in
            for await message in consumer.messages {
                return (message.key, message.value, message.isTombstone, message.headers)
            }
            throw CancellationError()
        }
        #expect(got.0 == row.key)
        #expect(got.1 == row.value)
        #expect(got.2 == (row.value == nil))
        #expect(got.3 == row.headers)
        await consumer.close()
    }

    /// A partition the record cannot go to: refused at once or reported, naming the topic.
    @Test("partitions: a partition the topic does not have fails the record, naming the topic", arguments: [Int32(7), -5])
    func badPartition(_ partition: Int32) async throws {
        let cluster = MockCluster()
        cluster.createTopic("two", partitions: 2)
        var configuration = cluster.configuration()
        configuration.messageTimeout = .seconds(5)
        let producer = try KafkaProducer(configuration: configuration)
        let error = try await #require(throws: KafkaError.self) {
            try await withDeadline(seconds: 30) { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "two", partition: partition, value: "v")) }
        }
        #expect(error.code == .unknownPartition, "\(error)")
        #expect(error.topic == "two", "\(error)")
        await producer.shutdown(timeout: .zero)
    }
}
