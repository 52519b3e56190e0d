import KafkaKit
import KafkaKitConnections
import KafkaKitEvents
import KafkaKitTestSupport
import Synchronization
import Testing

/// Keeps every report it is handed: the pattern that made a cycle when reports kept their handler.
final class ReportKeeper: Sendable {
    let reports = Mutex<[KafkaPublishReport]>([])
    var handler: KafkaEventPublisher.ReportHandler { { report in self.reports.withLock { $0.append(report) } } }
    var count: Int { reports.withLock { $0.count } }
}

/// A count shared by tasks.
final class QueuedCount: Sendable {
    let value = Atomic<Int>(0)
}

/// A receiver for the reuse check.
final class CountingReceiver: KafkaDeliveryReceiver, @unchecked Sendable {
    let calls = Atomic<Int>(0)
    override func received(_ report: KafkaDeliveryReport) { calls.add(1, ordering: .relaxed) }
}

@Suite("Events and the publisher: review regressions")
struct EventsReviewFixTests {
    @Test("JSON: set keeps one member per key; out-of-range numbers are refused; params are structured")
    func jsonDetails() throws {
        var value = try KafkaJSON(parsing: #"{"ip":"y","n":1,"ip":"x"}"#)
        value.set("ip", "z")
        #expect(value.jsonText == #"{"ip":"z","n":1}"#)
        let big = #expect(throws: KafkaError.self) { try KafkaJSON(parsing: "1e400") }
        #expect(big?.message.contains("number out of range") == true)
        #expect(KafkaEvent(name: "E", params: nil).jsonRPC == #"{"jsonrpc":"2.0","method":"E"}"#)
        #expect(KafkaEvent(name: "E", params: 5).jsonRPC == #"{"jsonrpc":"2.0","method":"E","params":[5]}"#)
        #expect(KafkaEvent(name: "E", params: [1, 2]).jsonRPC == #"{"jsonrpc":"2.0","method":"E","params":[1,2]}"#)
    }

    @Test("a report built from a failed delivery report is a failure; each socket is subscribed once")
    func reportAndSubscriptions() throws {
        let socket = try KafkaSocket(parsing: "kafka:127.0.0.1:1/t")
        let failed = KafkaDeliveryReport(id: KafkaProducerMessageID(rawValue: 1), topic: "t", partition: 0, offset: -1, timestampMilliseconds: -1, errorCode: .messageTimedOut)
        let report = KafkaPublishReport(brokerID: nil, socket: socket, status: .success(failed), key: nil, message: [])
        #expect(!report.isDelivered && report.error?.code == .messageTimedOut)

        let publisher = try KafkaEventPublisher(subscriptions: [KafkaSubscription(event: "E", sockets: [socket, socket])])
        publisher.subscribe("E", to: socket)
        #expect(publisher.sockets(subscribedTo: "E") == [socket])
    }

    @Test("a receiver still carrying a message cannot carry another")
    func receiverReuse() async throws {
        let cluster = MockCluster()
        cluster.createTopic("reuse", partitions: 1)
        cluster.setBrokerDown()  // keep the first message in flight
        var configuration = cluster.configuration()
        configuration.messageTimeout = .seconds(60)
        let producer = try KafkaProducer(configuration: configuration)
        let receiver = CountingReceiver()
        try producer.trySend(KafkaProducerRecord(topic: "reuse", value: "one"), reportingTo: receiver)
        let reuse = #expect(throws: KafkaError.self) { try producer.trySend(KafkaProducerRecord(topic: "reuse", value: "two"), reportingTo: receiver) }
        #expect(reuse?.message.contains("one receiver per message") == true)
        #expect(await producer.shutdown(timeout: .milliseconds(100)) == 1)
        #expect(receiver.calls.load(ordering: .relaxed) == 1, "the first message's report, once")
        // Its report in, the receiver may carry a new message (here refused: shut down).
        let after = #expect(throws: KafkaError.self) { try producer.trySend(KafkaProducerRecord(topic: "reuse", value: "three"), reportingTo: receiver) }
        #expect(after?.code == .destroyed)
    }

    @Test("a handler that keeps its reports is freed with the publisher (no cycle through the reports)")
    func noCycle() async throws {
        let cluster = MockCluster()
        cluster.createTopic("cycle", partitions: 1)
        weak var weakKeeper: ReportKeeper?
        do {
            let keeper = ReportKeeper()
            weakKeeper = keeper
            let publisher = try KafkaEventPublisher(brokers: [KafkaBrokerSpec(parsing: "[c]\(cluster.bootstrapServers)/cycle?g.log_level=0")])
            for i in 0..<10 { try publisher.publish(broker: "c", message: "m\(i)", report: keeper.handler) }
            await publisher.shutdown()
            #expect(keeper.count == 10)
        }
        #expect(weakKeeper == nil, "reports no longer keep the handler, nor the handler its keeper")
    }

    @Test("sends racing shutdown from several tasks: every queued message gets exactly one report")
    func racingShutdown() async throws {
        for round in 0..<10 {
            let cluster = MockCluster()
            cluster.createTopic("race", partitions: 2)
            let publisher = try KafkaEventPublisher(brokers: [KafkaBrokerSpec(parsing: "[r]\(cluster.bootstrapServers)/race?g.log_level=0")])
            let keeper = ReportKeeper()
            let queued = QueuedCount()
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for i in 0..<5_000 {
                            do {
                                try publisher.publish(broker: "r", message: "m\(i)", report: keeper.handler)
                                queued.value.add(1, ordering: .relaxed)
                            } catch let error as KafkaError {
                                if error.code == .destroyed { return }
                            } catch {}
                        }
                    }
                }
                group.addTask { _ = await publisher.shutdown(timeout: .milliseconds(round % 3)) }
            }
            #expect(keeper.count == queued.value.load(ordering: .relaxed), "round \(round): one report per queued message")
        }
    }
}
