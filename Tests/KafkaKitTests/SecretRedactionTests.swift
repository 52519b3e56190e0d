import Foundation
@testable import KafkaKit
import KafkaKitTestSupport
import Logging
import Testing

/// Secrets never show: a canary value in every secret property librdkafka 2.14.2 has, looked
/// for in every text KafkaKit makes of a configuration, its errors and its logs.
@Suite("Secrets never appear")
struct SecretRedactionTests {
    static let canary = "S3cr3t-Canary-XYZ"

    /// librdkafka 2.14.2's properties flagged `_RK_SENSITIVE` (rdkafka_conf.c), less
    /// `sasl.username` and `ssl.ca.pem`, which librdkafka hides too but hold nothing secret
    /// (a name, a public certificate), and `ssl_key` (internal: set through the C API only).
    static let secretProperties = [
        "ssl.key.location", "ssl.key.password", "ssl.key.pem", "ssl.keystore.password",
        "sasl.password", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.assertion.private.key.file", "sasl.oauthbearer.assertion.private.key.passphrase",
        "sasl.oauthbearer.assertion.private.key.pem",
    ]

    @Test("every secret property of librdkafka is sensitive to KafkaKit", arguments: secretProperties)
    func everySecretIsSensitive(_ name: String) {
        #expect(KafkaConfiguration.isSensitive(name))
    }

    func configurationWithCanaries() -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        for (i, name) in Self.secretProperties.enumerated() { configuration[name] = "\(Self.canary)-\(i)" }
        configuration.topicProperties["sasl.password"] = "\(Self.canary)-topic"
        return configuration
    }

    @Test("description, debugDescription, dump and string interpolation of a configuration")
    func configurationTexts() {
        let configuration = configurationWithCanaries()
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [configuration.description, String(reflecting: configuration), "\(configuration)", dumped] {
            #expect(!text.contains(Self.canary), "\(text)")
        }
        #expect(configuration.description.contains("sasl.oauthbearer.assertion.private.key.passphrase=[redacted]"))
    }

    @Test("the effective-property listing, of a configuration and of a running client")
    func effectiveProperties() async throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["security.protocol"] = "sasl_plaintext"
        configuration["sasl.mechanism"] = "PLAIN"
        configuration["sasl.username"] = "alice"
        configuration["sasl.password"] = Self.canary
        configuration["ssl.key.password"] = Self.canary
        let listed = try configuration.effectiveProperties()
        #expect(!listed.contains { $0.value.contains(Self.canary) || $0.description.contains(Self.canary) })
        let producer = try KafkaProducer(configuration: configuration)
        #expect(!producer.effectiveProperties().contains { $0.description.contains(Self.canary) })
        await producer.shutdown(timeout: .zero)
    }

    @Test("errors when creation fails: a bad value, an unreadable key, a key that is not PEM")
    func creationErrors() throws {
        var cases: [KafkaConfiguration] = []
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["security.protocol"] = "sasl_plaintext"
        configuration["sasl.mechanism"] = "BOGUS"
        configuration["sasl.username"] = "alice"
        configuration["sasl.password"] = Self.canary
        cases.append(configuration)
        configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["security.protocol"] = "ssl"
        configuration["ssl.key.pem"] = "-----BEGIN PRIVATE KEY-----\n\(Self.canary)\n-----END PRIVATE KEY-----\n"
        configuration["ssl.key.password"] = Self.canary
        cases.append(configuration)
        configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["security.protocol"] = "ssl"
        configuration["ssl.key.location"] = "/nonexistent/\(Self.canary).key"
        configuration["ssl.certificate.location"] = "/nonexistent/client.pem"
        cases.append(configuration)
        for configuration in cases {
            let logs = CapturedLogs()
            let logger = Logger(label: "secrets") { _ in CapturingLogHandler(logs) }
            let error = #expect(throws: KafkaError.self) { _ = try KafkaProducer(configuration: configuration, logger: logger) }
            for text in [String(describing: error), String(reflecting: error)] + logs.lines {
                #expect(!text.contains(Self.canary), "\(text)")
            }
        }
    }
}
