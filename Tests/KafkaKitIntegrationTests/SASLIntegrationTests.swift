import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// SASL against Tansu 0.6.0 started with `--authentication` (`scripts/tls-broker`). That broker
/// checks SCRAM-SHA-256/512 credentials and offers no PLAIN; its users can only be created
/// through the broker itself (`tansu user create`), which it refuses before a login, and
/// memory storage does not outlive a restart — so it has no users, and what is proven here is
/// that credentials are checked and refused with a clear authentication error. librdkafka's
/// mock cluster has no SASL at all (no SaslHandshake or SaslAuthenticate handler in 2.14.2).
@Suite("SASL on Tansu with --authentication", .enabled(if: TLSTestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set or stunnel is not installed"))
struct SASLIntegrationTests {
    static let password = "S3cr3t-Canary-XYZ"

    func configuration(_ broker: TLSTestBroker, mechanism: String) -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: [broker.saslServers])
        configuration["security.protocol"] = "sasl_plaintext"
        configuration["sasl.mechanism"] = mechanism
        configuration["sasl.username"] = "alice"
        configuration["sasl.password"] = Self.password
        return configuration
    }

    @Test("credentials the broker does not know are refused with an authentication error", arguments: [
        ("SCRAM-SHA-256", "SASL SCRAM authentication failed"),
        ("SCRAM-SHA-512", "SASL SCRAM authentication failed"),
        // Tansu offers no PLAIN: the handshake itself fails.
        ("PLAIN", "SASL PLAIN mechanism handshake failed"),
    ])
    func refused(mechanism: String, expected: String) async throws {
        let broker = try TLSTestBroker.shared()
        let configuration = configuration(broker, mechanism: mechanism)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        let error = try await withDeadline(seconds: 30) { () -> KafkaError? in
            for await event in events {
                if case .error(let error) = event, error.code.name == "_AUTHENTICATION" { return error }
            }
            return nil
        }
        await producer.shutdown(timeout: .seconds(1))
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
        #expect(error.map { !$0.description.contains(Self.password) } ?? true)

        let admin = try KafkaAdminClient(configuration: configuration)
        let thrown = await #expect(throws: KafkaError.self) { _ = try await admin.metadata(timeout: .seconds(10)) }
        #expect(thrown?.code.name == "_AUTHENTICATION", "\(String(describing: thrown))")
        #expect(thrown?.description.contains(expected) == true, "\(String(describing: thrown))")
        #expect(thrown.map { !$0.description.contains(Self.password) } ?? true)
    }
}
