import Foundation
import KafkaKit
import KafkaKitConnections
import KafkaKitEvents
import KafkaKitTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Collects report-handler calls, so tests can count them per message.
final class ReportLog: Sendable {
    private let reports = Mutex<[KafkaPublishReport]>([])

    var all: [KafkaPublishReport] { reports.withLock { $0 } }
    var count: Int { reports.withLock { $0.count } }

    var handler: KafkaEventPublisher.ReportHandler {
        { report in self.reports.withLock { $0.append(report) } }
    }

    /// Waits (polling a counter; test code only) until `count` reports have arrived.
    func wait(for count: Int, seconds: Double = 60) async throws {
        try await withDeadline(seconds: seconds) {
            while self.count < count { try await Task.sleep(for: .milliseconds(20)) }
        }
    }
}

@Suite("Event publisher on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct PublisherIntegrationTests {
    func socket(_ topic: String, _ extra: String = "") throws -> KafkaSocket {
        try KafkaSocket(parsing: "kafka:\(try TestBroker.servers())/\(topic)?t.message.timeout.ms=30000\(extra)")
    }

    @Test("raising the seed's E_PIKE_BLOCKED publishes exactly the seed's JSON-RPC notification")
    func seedEvent() async throws {
        let topic = TestBroker.freshTopic("pike")
        let publisher = try KafkaEventPublisher(subscriptions: [KafkaSubscription(event: "E_PIKE_BLOCKED", sockets: [socket(topic)])])
        let reports = ReportLog()
        let queued = try publisher.raise(KafkaEvent(name: "E_PIKE_BLOCKED", params: ["ip": "192.168.2.11"]), report: reports.handler)
        #expect(queued == 1)
        try await reports.wait(for: 1)
        #expect(reports.all.first?.isDelivered == true, "\(String(describing: reports.all.first?.error))")

        let records = try PlainConsumer.read(topic: topic, count: 1, bootstrapServers: try TestBroker.servers())
        let value = try #require(records.first?.value)
        let seed = try KafkaJSON(parsing: EventEncodingTests.seedExample)
        #expect(String(decoding: value, as: UTF8.self) == #"{"jsonrpc":"2.0","method":"E_PIKE_BLOCKED","params":{"ip":"192.168.2.11"}}"#)
        #expect(value == Array(seed.jsonText.utf8), "the record is the seed's example, compact")
        #expect(try KafkaJSON(parsing: String(decoding: value, as: UTF8.self)).jsonText(pretty: true) == EventEncodingTests.seedExample)
        #expect(records.first?.key == nil, "no key=callid: no key")
        await publisher.shutdown()
    }

    @Test("key=callid puts the event's correlation key on the record; a socket without it sends no key")
    func callIDKey() async throws {
        let keyed = TestBroker.freshTopic("keyed"), plain = TestBroker.freshTopic("plain")
        let publisher = try KafkaEventPublisher(subscriptions: [
            KafkaSubscription(event: "E_CALL", sockets: [socket(keyed, "&key=callid"), socket(plain)])
        ])
        let reports = ReportLog()
        let event = KafkaEvent(name: "E_CALL", params: ["caller": "alice"], correlationKey: "a84b4c76e66710@pc33.example.com")
        #expect(try publisher.raise(event, report: reports.handler) == 2)
        try await reports.wait(for: 2)
        #expect(reports.all.allSatisfy { $0.isDelivered })
        let servers = try TestBroker.servers()
        let keyedRecord = try #require(PlainConsumer.read(topic: keyed, count: 1, bootstrapServers: servers).first)
        let plainRecord = try #require(PlainConsumer.read(topic: plain, count: 1, bootstrapServers: servers).first)
        #expect(keyedRecord.key == Array("a84b4c76e66710@pc33.example.com".utf8))
        #expect(plainRecord.key == nil)
        #expect(keyedRecord.value == event.payload && plainRecord.value == event.payload)
        // The report of each says what was sent where.
        #expect(reports.count == 2, "one report per message")
        let byTopic = Dictionary(reports.all.map { ($0.socket.topic, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byTopic[keyed]?.key == Array("a84b4c76e66710@pc33.example.com".utf8))
        #expect(byTopic[plain]?.key == nil)
        await publisher.shutdown()
    }

    @Test("the seed's [k1] broker spec works on the local broker; each report handler fires exactly once per message")
    func seedBrokerAndReports() async throws {
        let topic = TestBroker.freshTopic("k1")
        let spec = try KafkaBrokerSpec(parsing: "[k1]\(try TestBroker.servers())/\(topic)?g.linger.ms=100&t.acks=all")
        let publisher = try KafkaEventPublisher(brokers: [spec])
        let reports = ReportLog()
        let count = 1_000
        var ids: Set<KafkaProducerMessageID> = []
        for i in 0..<count {
            ids.insert(try publisher.publish(broker: "k1", message: "my msg content \(i)", key: "call-\(i)", report: reports.handler))
        }
        #expect(ids.count == count)
        try await reports.wait(for: count)
        // Nothing more may come: shutting down serves every last report.
        await publisher.shutdown()
        let all = reports.all
        #expect(all.count == count, "exactly one report per message")
        #expect(all.allSatisfy { $0.brokerID == "k1" && $0.isDelivered && $0.socket.topic == topic })
        let ofMessage = Dictionary(grouping: all) { String(decoding: $0.message, as: UTF8.self) }
        #expect(ofMessage.count == count && ofMessage.values.allSatisfy { $0.count == 1 })
        #expect(all.allSatisfy { report in
            let message = String(decoding: report.message, as: UTF8.self)
            return report.key.map { String(decoding: $0, as: UTF8.self) } == "call-" + message.dropFirst("my msg content ".count)
        }, "each report carries its own key and message")
        let offsets = all.compactMap { try? $0.status.get() }.map { "\($0.partition)/\($0.offset)" }
        #expect(Set(offsets).count == count, "each message has its own partition/offset")

        // At least once: a retried produce may be stored twice; read until every message is there.
        var found = Set<String>()
        let records = try PlainConsumer.read(topic: topic, bootstrapServers: try TestBroker.servers()) { records in
            if let value = records.last?.value { found.insert(String(decoding: value, as: UTF8.self)) }
            return found.count >= count
        }
        #expect(Set(records.compactMap(\.value).map { String(decoding: $0, as: UTF8.self) }) == Set(ofMessage.keys))
    }

    @Test("publishAndWait returns the delivery report; raiseAndWait one report per socket; unknown IDs list the known ones")
    func awaited() async throws {
        let topic = TestBroker.freshTopic("awaited")
        let publisher = try KafkaEventPublisher(brokers: [KafkaBrokerSpec(id: "main", socket: socket(topic))])
        let report = try await publisher.publishAndWait(broker: "main", message: Array("hello".utf8), key: Array("k".utf8))
        #expect(report.topic == topic && report.offset >= 0)

        let unknown = await #expect(throws: KafkaError.self) { try await publisher.publishAndWait(broker: "nope", message: []) }
        #expect(unknown?.message.contains("no broker ID 'nope' (known: main)") == true, "\(String(describing: unknown))")
        #expect(throws: KafkaError.self) { try publisher.publish(broker: "nope", message: "x") }

        let unreachable = try KafkaSocket(parsing: "kafka:127.0.0.1:1/x?t.message.timeout.ms=500")
        let reports = await publisher.raiseAndWait(KafkaEvent(name: "E_TWO", params: ["n": 2]), to: [try socket(topic), unreachable])
        #expect(reports.count == 2)
        #expect(reports[0].isDelivered)
        #expect(reports[1].error?.code == .messageTimedOut, "\(String(describing: reports[1].error))")
        await publisher.shutdown()
    }

    @Test("an unreachable broker fails each message with a report within the socket's t.message.timeout.ms")
    func unreachableBroker() async throws {
        let socket = try KafkaSocket(parsing: "kafka:127.0.0.1:1/events?t.message.timeout.ms=1500")
        let publisher = try KafkaEventPublisher(brokers: [KafkaBrokerSpec(id: "down", socket: socket)])
        let reports = ReportLog()
        for i in 0..<25 {
            try publisher.publish(broker: "down", message: "m\(i)", report: reports.handler)
            try publisher.publish(to: socket, message: Array("s\(i)".utf8), report: reports.handler)
        }
        // librdkafka's default is 300 s: every report arriving within this 60 s wait shows
        // the socket's property governs.
        try await reports.wait(for: 50, seconds: 60)
        #expect(reports.count == 50)
        #expect(reports.all.allSatisfy { $0.error?.code == .messageTimedOut }, "\(reports.all.compactMap(\.error).prefix(2))")
        #expect(reports.all.filter { $0.brokerID == "down" }.count == 25)
        await publisher.shutdown()
    }

    @Test("shutdown delivers within its bound and reports the rest as failed; later publishes fail")
    func shutdownReportsTheRest() async throws {
        let socket = try KafkaSocket(parsing: "kafka:127.0.0.1:1/events?t.message.timeout.ms=120000")
        let publisher = try KafkaEventPublisher(subscriptions: [KafkaSubscription(event: "E_X", sockets: [socket])])
        let reports = ReportLog()
        for i in 0..<20 { try publisher.raise(KafkaEvent(name: "E_X", params: ["i": .int(Int64(i))]), report: reports.handler) }
        let purged = await publisher.shutdown(timeout: .milliseconds(300))
        #expect(purged == 20)
        #expect(reports.count == 20, "every message has its report once shutdown returns")
        #expect(reports.all.allSatisfy { $0.error?.code == .purgedFromQueue || $0.error?.code == .purgedInFlight }, "\(reports.all.compactMap(\.error).prefix(2))")
        let after = #expect(throws: KafkaError.self) { try publisher.raise(KafkaEvent(name: "E_X")) }
        #expect(after?.code == .destroyed)
        #expect(throws: KafkaError.self) { try publisher.publish(to: socket, message: []) }
    }

    @Test("in a ServiceGroup, graceful shutdown flushes what the publisher holds")
    func serviceLifecycle() async throws {
        let topic = TestBroker.freshTopic("lifecycle")
        let publisher = try KafkaEventPublisher(subscriptions: [KafkaSubscription(event: "E_Y", sockets: [socket(topic)])])
        let reports = ReportLog()
        // The raises run as a service of the group; once it returns the group shuts down
        // gracefully, from inside its run, whatever the timing.
        let raiser = ClosureService {
            for i in 0..<100 { try publisher.raise(KafkaEvent(name: "E_Y", params: ["i": .int(Int64(i))]), report: reports.handler) }
        }
        let group = ServiceGroup(configuration: .init(services: [
            .init(service: publisher),
            .init(service: raiser, successTerminationBehavior: .gracefullyShutdownGroup),
        ], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await withDeadline(seconds: 60) { try await group.run() }
        #expect(reports.count == 100)
        #expect(reports.all.allSatisfy { $0.isDelivered })
        // At least once: a retried produce may be stored twice; every event is there.
        let raised = Set((0..<100).map { KafkaEvent(name: "E_Y", params: ["i": .int(Int64($0))]).payload })
        let records = try PlainConsumer.read(topic: topic, bootstrapServers: try TestBroker.servers()) {
            Set($0.compactMap(\.value)).isSuperset(of: raised)
        }
        #expect(Set(records.compactMap(\.value)) == raised)
    }

    @Test("a property librdkafka rejects fails the publish, naming the property and its position in the socket")
    func rejectedProperty() async throws {
        let socket = try KafkaSocket(parsing: "kafka:\(try TestBroker.servers())/t?t.acks=all&g.linger.ms=soon")
        let publisher = try KafkaEventPublisher()
        let error = #expect(throws: KafkaError.self) { try publisher.publish(to: socket, message: Array("x".utf8)) }
        #expect(error?.property == "linger.ms")
        #expect(error?.position == socket.position(ofProperty: "linger.ms"))
        #expect(error?.message.contains("Invalid value") == true, "\(String(describing: error))")
        await publisher.shutdown()
    }
}

/// The README's publishing example, verbatim but for the broker address and topics.
@Suite("README publishing example", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct ReadmePublishingExampleTests {
    @Test("the publishing example runs")
    func publishing() async throws {
        let servers = try TestBroker.servers()
        let topic1 = TestBroker.freshTopic("topic1"), security = TestBroker.freshTopic("security")
        // Made beforehand, so the example's 1 s message timeout is not spent creating them.
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [servers]))
        try await admin.createTopics([KafkaNewTopic(name: topic1, partitions: 1), KafkaNewTopic(name: security, partitions: 1)])
        let printed = ReportLog()

        let callID = "a84b4c76e66710@pc33.example.com"  // the correlation key: a SIP Call-ID in the seed
        let publisher = try KafkaEventPublisher(
            brokers: [KafkaBrokerSpec(parsing: "[k1]\(servers)/\(topic1)?g.linger.ms=100&t.acks=all")],
            subscriptions: [KafkaSubscription(event: "E_PIKE_BLOCKED", sockets: [
                KafkaSocket(parsing: "kafka:\(servers)/\(security)?t.message.timeout.ms=1000&key=callid"),
            ])])
        // Queues without waiting; throws at once if it cannot (the seed's 1 / -1).
        try publisher.publish(broker: "k1", message: "my msg content", key: callID) { report in
            print(report.target, report.isDelivered ? "delivered" : "failed: \(report.error!)")
            printed.handler(report)
        }
        // {"jsonrpc":"2.0","method":"E_PIKE_BLOCKED","params":{"ip":"192.168.2.11"}}, keyed by the Call-ID.
        try publisher.raise(KafkaEvent(name: "E_PIKE_BLOCKED", params: ["ip": "192.168.2.11"], correlationKey: callID))
        await publisher.shutdown()  // delivers within 10 s; the rest are reported as failed

        #expect(printed.count == 1 && printed.all.first?.isDelivered == true)
        let event = try #require(PlainConsumer.read(topic: security, count: 1, bootstrapServers: servers).first)
        #expect(event.key == Array(callID.utf8))
        #expect(event.value == Array(#"{"jsonrpc":"2.0","method":"E_PIKE_BLOCKED","params":{"ip":"192.168.2.11"}}"#.utf8))
    }
}
