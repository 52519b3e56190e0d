import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// KafkaKit over TLS: stunnel in front of Tansu (`scripts/tls-broker`), the brokers advertising
/// the TLS ports, certificates made by openssl for this run.
@Suite("TLS on stunnel in front of Tansu", .enabled(if: TLSTestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set or stunnel is not installed"))
struct TLSIntegrationTests {
    /// What librdkafka (OpenSSL) says of a certificate that failed verification.
    static let verifyFailed = "certificate verify failed"
    /// The codes librdkafka gives a failed handshake: `_SSL`, or `_TRANSPORT` when the failure
    /// is seen while reading the socket (the text is the same).
    static let handshakeCodes: Set<String> = ["_SSL", "_TRANSPORT"]

    /// Produces `count` records over `configuration`, reads them back with a group consumer and
    /// lists the brokers with the admin client: all three clients over the same TLS settings.
    func roundTrip(_ configuration: KafkaConfiguration, advertisedPort: Int, count: Int = 20) async throws {
        let topic = TestBroker.freshTopic("tls")
        let admin = try KafkaAdminClient(configuration: configuration)
        let metadata = try await admin.metadata()
        // The broker advertises the TLS port, so librdkafka's reconnection also goes through TLS.
        #expect(metadata.brokers.map(\.port) == [Int32(advertisedPort)], "\(metadata.brokers)")
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 1)])

        var producerConfiguration = configuration
        producerConfiguration.messageTimeout = .seconds(30)
        let producer = try KafkaProducer(configuration: producerConfiguration)
        for i in 0..<count {
            let report = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, key: "k\(i)", value: "tls-\(i)"))
            #expect(report.offset == Int64(i))
        }
        await producer.shutdown()

        var consumerConfiguration = configuration
        consumerConfiguration["group.id"] = "tls-\(UUID().uuidString)"
        consumerConfiguration["auto.offset.reset"] = "earliest"
        consumerConfiguration["session.timeout.ms"] = "6000"
        consumerConfiguration["heartbeat.interval.ms"] = "500"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration)
        try consumer.subscribe(topics: [topic])
        let values = try await withDeadline(seconds: 60) {
            var values: [String] = []
            for await message in consumer.messages {
                values.append(message.valueString ?? "")
                if values.count == count { break }
            }
            return values
        }
        #expect(values == (0..<count).map { "tls-\($0)" })
        await consumer.close()
    }

    @Test("producer, consumer and admin connect with ssl.ca.location, verify the host name and round-trip records")
    func roundTripOverTLS() async throws {
        let broker = try TLSTestBroker.shared()
        try await roundTrip(broker.configuration(servers: broker.tlsServers), advertisedPort: broker.tlsPort)
    }

    @Test("mutual TLS: ssl.certificate.location + ssl.key.location + ssl.key.password, or the key as ssl.key.pem")
    func mutualTLS() async throws {
        let broker = try TLSTestBroker.shared()
        try await roundTrip(broker.mutualTLSConfiguration(), advertisedPort: broker.mutualTLSPort, count: 5)
        var inline = broker.mutualTLSConfiguration()
        inline["ssl.key.location"] = nil
        inline["ssl.key.pem"] = try String(contentsOfFile: broker.path("client.key"), encoding: .utf8)
        try await roundTrip(inline, advertisedPort: broker.mutualTLSPort, count: 5)
    }

    /// Each client, with `configuration`, reports an error whose description contains
    /// `expected` — an event from the producer and the consumer, a thrown error from the admin
    /// client — within a generous bound (librdkafka fails the handshake in milliseconds).
    func eachClientFails(_ configuration: KafkaConfiguration, saying expected: String) async throws {
        let (producer, producerEvents) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        let fromProducer = try await withDeadline(seconds: 30) { () -> KafkaError? in
            for await event in producerEvents {
                if case .error(let error) = event, error.description.contains(expected) { return error }
            }
            return nil
        }
        await producer.shutdown(timeout: .seconds(1))
        #expect(fromProducer.map { Self.handshakeCodes.contains($0.code.name) } == true, "\(String(describing: fromProducer))")

        var consumerConfiguration = configuration
        consumerConfiguration["group.id"] = "tls-\(UUID().uuidString)"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration)
        try consumer.subscribe(topics: [TestBroker.freshTopic("tls-refused")])
        // A consumer serves librdkafka's callbacks (errors among them) while it is read.
        let reading = Task { for await _ in consumer.messages {} }
        let fromConsumer = try await withDeadline(seconds: 30) { () -> KafkaError? in
            for await event in consumer.events {
                if case .error(let error) = event, error.description.contains(expected) { return error }
            }
            return nil
        }
        await consumer.close()
        reading.cancel()
        #expect(fromConsumer.map { Self.handshakeCodes.contains($0.code.name) } == true, "\(String(describing: fromConsumer))")

        let admin = try KafkaAdminClient(configuration: configuration)
        for attempt in ["metadata", "createTopics"] {
            let started = ContinuousClock.now
            let error = await #expect(throws: KafkaError.self, "\(attempt)") {
                if attempt == "metadata" {
                    _ = try await admin.metadata(timeout: .seconds(10))
                } else {
                    try await admin.createTopics([KafkaNewTopic(name: TestBroker.freshTopic("tls-refused"), partitions: 1)], timeout: .seconds(10))
                }
            }
            #expect(error?.description.contains(expected) == true, "\(attempt): \(String(describing: error))")
            #expect(ContinuousClock.now - started < .seconds(30), "\(attempt)")
        }
    }

    @Test("a CA that did not sign the broker's certificate: every client fails saying the certificate failed verification")
    func wrongCA() async throws {
        let broker = try TLSTestBroker.shared()
        try await eachClientFails(broker.configuration(servers: broker.tlsServers, ca: "other-ca.pem"), saying: Self.verifyFailed)
    }

    @Test("a certificate for another host name: every client fails saying the certificate failed verification")
    func wrongHostName() async throws {
        let broker = try TLSTestBroker.shared()
        let configuration = broker.configuration(servers: broker.wrongHostServers)
        try await eachClientFails(configuration, saying: Self.verifyFailed)
        // The host name is the only thing wrong with it: without the check the same endpoint
        // (and CA) works.
        var unchecked = configuration
        unchecked["ssl.endpoint.identification.algorithm"] = "none"
        let metadata = try await KafkaAdminClient(configuration: unchecked).metadata()
        #expect(!metadata.brokers.isEmpty)
    }

    @Test("mutual TLS without a client certificate: producer and admin fail saying a certificate is required")
    func mutualTLSWithoutClientCertificate() async throws {
        let broker = try TLSTestBroker.shared()
        let configuration = broker.configuration(servers: broker.mutualTLSServers)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        let error = try await withDeadline(seconds: 30) { () -> KafkaError? in
            for await event in events {
                if case .error(let error) = event, error.description.contains("certificate required") { return error }
            }
            return nil
        }
        await producer.shutdown(timeout: .seconds(1))
        // TLS 1.3: stunnel's alert comes after the client's handshake, with the first request.
        #expect(error?.description.contains("certificate required") == true, "\(String(describing: error))")
        let admin = try KafkaAdminClient(configuration: configuration)
        let thrown = await #expect(throws: KafkaError.self) { _ = try await admin.metadata(timeout: .seconds(10)) }
        #expect(thrown?.description.contains("certificate required") == true, "\(String(describing: thrown))")
    }

    @Test("a wrong ssl.key.password fails creation clearly, and never shows either password")
    func wrongKeyPassword() throws {
        let broker = try TLSTestBroker.shared()
        var configuration = broker.mutualTLSConfiguration()
        configuration["ssl.key.password"] = "Wrong-Canary-Pass-123"
        let error = #expect(throws: KafkaError.self) { _ = try KafkaProducer(configuration: configuration) }
        let text = String(describing: error)
        #expect(text.contains("ssl.key"), "\(text)")
        #expect(!text.contains("Wrong-Canary-Pass-123") && !text.contains(TLSTestBroker.clientKeyPassword), "\(text)")
    }
}
