import KafkaKit
import KafkaKitConnections
import KafkaKitEvents
import Testing

@Suite("Event publisher setup (no broker)")
struct PublisherSetupTests {
    @Test("duplicate broker IDs are refused, at creation and when added; IDs are listed sorted")
    func brokerIDs() throws {
        let k1 = try KafkaBrokerSpec(parsing: "[k1]127.0.0.1:1/a")
        let k2 = try KafkaBrokerSpec(parsing: "[k2]127.0.0.1:1/b")
        let duplicate = #expect(throws: KafkaError.self) { try KafkaEventPublisher(brokers: [k1, k2, k1]) }
        #expect(duplicate?.message == "duplicate broker ID 'k1'")

        let publisher = try KafkaEventPublisher(brokers: [k2])
        try publisher.addBroker(k1)
        #expect(publisher.brokerIDs == ["k1", "k2"])
        #expect(throws: KafkaError.self) { try publisher.addBroker(k2) }

        let file = try KafkaConnectionsFile.parse("[k1]\ntype = broker\nsocket = 127.0.0.1:1/a\n", file: "kafka.conf")
        let fromFile = try KafkaEventPublisher(file: file)
        let again = #expect(throws: KafkaError.self) { try fromFile.addBroker(k1) }
        #expect(again?.message.contains("first declared at kafka.conf:1") == true, "\(String(describing: again))")
    }

    @Test("subscriptions: from init and file, subscribe and unsubscribe; an unsubscribed event goes nowhere")
    func subscriptions() throws {
        let a = try KafkaSocket(parsing: "kafka:127.0.0.1:1/a"), b = try KafkaSocket(parsing: "kafka:127.0.0.1:1/b?key=callid")
        let publisher = try KafkaEventPublisher(subscriptions: [KafkaSubscription(event: "E_ONE", sockets: [a])])
        publisher.subscribe("E_ONE", to: b)
        #expect(publisher.sockets(subscribedTo: "E_ONE") == [a, b])
        publisher.unsubscribe("E_ONE", from: a)
        #expect(publisher.sockets(subscribedTo: "E_ONE") == [b])
        #expect(try publisher.raise(KafkaEvent(name: "E_NOBODY")) == 0, "nothing subscribed: queued nowhere")

        let file = try KafkaConnectionsFile.parse("[s]\ntype = subscription\nevent = E_F\nsocket = kafka:127.0.0.1:1/f\n")
        #expect(try KafkaEventPublisher(file: file).sockets(subscribedTo: "E_F").map(\.topic) == ["f"])
    }

    @Test("after shutdown every publish, raise and unknown ID fails with _DESTROY")
    func afterShutdown() async throws {
        let publisher = try KafkaEventPublisher(brokers: [KafkaBrokerSpec(parsing: "[k1]127.0.0.1:1/a")])
        await publisher.shutdown(timeout: .zero)
        let error = #expect(throws: KafkaError.self) { try publisher.publish(broker: "k1", message: "x") }
        #expect(error?.code == .destroyed)
        #expect(throws: KafkaError.self) { try publisher.raise(KafkaEvent(name: "E"), to: [KafkaSocket(parsing: "kafka:127.0.0.1:1/a")]) }
        await #expect(throws: KafkaError.self) { try await publisher.publishAndWait(broker: "k1", message: []) }
    }
}
