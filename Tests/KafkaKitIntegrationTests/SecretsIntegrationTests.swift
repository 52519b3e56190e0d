import Foundation
import KafkaKit
import KafkaKitTestSupport
import Logging
import Synchronization
import Testing

/// Secrets never reach the logs, events or errors of a client that really connects — with
/// librdkafka's `debug=all` (its configuration dumps included) logged at `trace`.
@Suite("Secrets never reach the logs", .enabled(if: TLSTestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set or stunnel is not installed"))
struct SecretsIntegrationTests {
    /// Everything to look for: the passwords, and every line of the client key's PEM body.
    func secrets(_ broker: TLSTestBroker) throws -> [String] {
        let key = try String(contentsOfFile: broker.path("client.key"), encoding: .utf8)
        let body = key.split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
        #expect(body.count > 10)
        return [SASLIntegrationTests.password, TLSTestBroker.clientKeyPassword] + body
    }

    /// What `sequence` yields within `seconds`, as text.
    func collect<S: AsyncSequence & Sendable>(_ sequence: S, seconds: Double) async -> [String] where S.Element: Sendable {
        let texts = Mutex<[String]>([])
        let reader = Task {
            for try await element in sequence { texts.withLock { $0.append("\(element)") } }
        }
        try? await Task.sleep(for: .seconds(seconds))
        reader.cancel()
        return texts.withLock { $0 }
    }

    /// Runs a producer, a group consumer and an admin client with `configuration`, everything
    /// logged; returns every log line (with metadata), event and error they produced.
    func everything(_ configuration: KafkaConfiguration) async throws -> [String] {
        var configuration = configuration
        configuration["debug"] = "all"
        configuration.messageTimeout = .seconds(5)
        let logs = CapturedLogs()
        var logger = Logger(label: "secrets") { _ in CapturingLogHandler(logs) }
        logger.logLevel = .trace
        var seen: [String] = []
        let topic = TestBroker.freshTopic("secrets")

        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: logger)
        do { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, value: "v")) } catch { seen.append(String(reflecting: error)) }
        await producer.shutdown(timeout: .seconds(1))
        seen += await collect(events, seconds: 2)

        var consumerConfiguration = configuration
        consumerConfiguration["group.id"] = "secrets-\(UUID().uuidString)"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        try consumer.subscribe(topics: [topic])
        let reading = Task { for await _ in consumer.messages {} }
        seen += await collect(consumer.events, seconds: 3)
        await consumer.close()
        reading.cancel()

        let admin = try KafkaAdminClient(configuration: configuration, logger: logger)
        do { _ = try await admin.metadata(timeout: .seconds(5)) } catch { seen.append(String(reflecting: error)) }
        #expect(logs.entries.count > 100, "debug=all logged \(logs.entries.count) lines")
        return seen + logs.fullLines
    }

    @Test("SASL SCRAM with sasl.password, and mutual TLS with the key as ssl.key.pem and ssl.key.password")
    func debugAllNeverShowsSecrets() async throws {
        let broker = try TLSTestBroker.shared()
        let secrets = try secrets(broker)
        var sasl = KafkaConfiguration(bootstrapServers: [broker.saslServers])
        sasl["security.protocol"] = "sasl_plaintext"
        sasl["sasl.mechanism"] = "SCRAM-SHA-512"
        sasl["sasl.username"] = "alice"
        sasl["sasl.password"] = SASLIntegrationTests.password
        var mutual = broker.mutualTLSConfiguration()
        mutual["ssl.key.location"] = nil
        mutual["ssl.key.pem"] = try String(contentsOfFile: broker.path("client.key"), encoding: .utf8)
        for (configuration, dumped) in [(sasl, "sasl.password"), (mutual, "ssl.key.pem")] {
            let texts = try await everything(configuration)
            // librdkafka's configuration dump was logged (with the secret hidden).
            #expect(texts.contains { $0.contains("\(dumped) = [redacted]") }, "no configuration dump naming \(dumped)")
            for text in texts {
                for secret in secrets where text.contains(secret) {
                    Issue.record("a secret (\(secret.prefix(4))…) in: \(text.prefix(300))")
                }
            }
        }
    }
}
