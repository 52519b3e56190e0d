import Configuration
import Foundation
import KafkaKit
import Synchronization
import Testing

@testable import KafkaKitConfiguration

/// An access reporter keeping every event, to see what was read and whether as a secret.
final class RecordingReporter: AccessReporter, Sendable {
    private let events = Mutex<[AccessEvent]>([])

    func report(_ event: AccessEvent) { events.withLock { $0.append(event) } }

    /// Whether the value found at `key` (dot-joined) was handed out marked secret; `nil` if
    /// nothing was found there.
    func foundSecret(_ key: String) -> Bool? {
        events.withLock { events in
            events.lazy.filter { $0.metadata.key.description == key }
                .compactMap { try? $0.result.get() }.first.map(\.isSecret)
        }
    }
}

@Suite("KafkaConfiguration from swift-configuration")
struct ConfigReaderTests {
    @Test("an in-memory provider: librdkafka properties by their names as key paths, typed values, KafkaKit settings")
    func inMemory() throws {
        let reporter = RecordingReporter()
        let provider = InMemoryProvider(values: [
            "kafka.bootstrap.servers": .init(.stringArray(["a:9092", "b:9092"]), isSecret: false),
            "kafka.security.protocol": "sasl_ssl",
            "kafka.sasl.mechanisms": "PLAIN",
            "kafka.sasl.username": "alice",
            "kafka.sasl.password": "s3cret",
            "kafka.ssl.key.password": "k3y",
            "kafka.client.id": "billing",
            "kafka.linger.ms": 5,
            "kafka.enable.idempotence": true,
            "kafka.acks": "all",
            "kafka.kafkakit.shutdown.timeout.ms": 2000,
            "kafka.kafkakit.queue.full.wait.ms": 0,
            "kafka.kafkakit.event.buffer.capacity": "100",
            "kafka.kafkakit.consumer.batch.size": 64,
            "kafka.kafkakit.tracing": true,
            "other.linger.ms": 99,
        ])
        let configuration = try KafkaConfiguration(config: ConfigReader(provider: provider, accessReporter: reporter).scoped(to: "kafka"))
        #expect(configuration.properties == [
            "bootstrap.servers": "a:9092,b:9092", "security.protocol": "sasl_ssl", "sasl.mechanisms": "PLAIN",
            "sasl.username": "alice", "sasl.password": "s3cret", "ssl.key.password": "k3y", "client.id": "billing",
            "linger.ms": "5", "enable.idempotence": "true", "acks": "all",
            "partitioner": "murmur2_random",  // KafkaKit's default stays
        ])
        #expect(configuration.shutdownTimeout == .seconds(2))
        #expect(configuration.queueFullPolicy == .failFast)
        #expect(configuration.eventBufferCapacity == 100)
        #expect(configuration.consumerBatchSize == 64)
        #expect(configuration.tracing == KafkaTracingOptions())
        #expect(configuration.tracing?.tracer == nil)
        #expect(reporter.foundSecret("kafka.sasl.password") == true)
        #expect(reporter.foundSecret("kafka.ssl.key.password") == true)
        #expect(reporter.foundSecret("kafka.sasl.username") == false)
        #expect(reporter.foundSecret("kafka.bootstrap.servers") == false)
        #expect(!String(describing: configuration).contains("s3cret"))
    }

    @Test("nothing under the scope: KafkaKit's defaults, tracing off")
    func empty() throws {
        let configuration = try KafkaConfiguration(config: ConfigReader(provider: InMemoryProvider(values: ["elsewhere.acks": "0"])).scoped(to: "kafka"))
        #expect(configuration == KafkaConfiguration())
    }

    @Test("environment variables: KAFKA_ and the property's name upper-cased, dots and underscores as '_'")
    func environment() throws {
        let provider = EnvironmentVariablesProvider(environmentVariables: [
            "KAFKA_BOOTSTRAP_SERVERS": "a:9092,b:9092",
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISMS": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": "alice",
            "KAFKA_SASL_PASSWORD": "s3cret",
            "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET": "oauth-s3cret",
            "KAFKA_LOG_LEVEL": "3",  // log_level: an underscore in librdkafka's name
            "KAFKA_MESSAGE_TIMEOUT_MS": "60000",
            "KAFKA_KAFKAKIT_TRACING": "yes",
            "KAFKA_KAFKAKIT_QUEUE_FULL_WAIT_MS": "2500",
            "PATH": "/usr/bin",
        ])
        let reporter = RecordingReporter()
        let configuration = try KafkaConfiguration(config: ConfigReader(provider: provider, accessReporter: reporter).scoped(to: "kafka"))
        #expect(configuration.properties == [
            "bootstrap.servers": "a:9092,b:9092", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "SCRAM-SHA-512",
            "sasl.username": "alice", "sasl.password": "s3cret", "sasl.oauthbearer.client.secret": "oauth-s3cret",
            "log_level": "3", "message.timeout.ms": "60000", "partitioner": "murmur2_random",
        ])
        #expect(configuration.tracing != nil)
        #expect(configuration.queueFullPolicy == .wait(timeout: .milliseconds(2500)))
        #expect(reporter.foundSecret("kafka.sasl.password") == true)
        #expect(reporter.foundSecret("kafka.sasl.oauthbearer.client.secret") == true)
        #expect(reporter.foundSecret("kafka.sasl.username") == false)
    }

    @Test("every librdkafka property has an environment variable of its own, found by its name")
    func environmentNamesAreDistinct() throws {
        let properties = KafkaConfiguration.settableLibrdkafkaProperties
        #expect(properties.count > 150)
        let names = Set(properties.map(\.name))
        #expect(names.isSuperset(of: ["bootstrap.servers", "sasl.password", "ssl.key.password", "security.protocol", "acks", "log_level", "sasl.oauthbearer.client.secret"]))
        #expect(!names.contains("dr_msg_cb"), "properties set only through a C function are left out")
        // Each variable holds the name of the property it should set.
        var variables: [String: String] = [:]
        for name in names {
            let variable = "KAFKA_" + name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            #expect(variables[variable] == nil, "\(variable) would stand for two properties")
            variables[variable] = name
        }
        let read = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables)).scoped(to: "kafka").librdkafkaProperties()
        #expect(read.count == names.count)
        #expect(read.allSatisfy { $0.key == $0.value })
    }

    @Test("a JSON file: nested objects and dotted keys alike, numbers, booleans and lists as values")
    func jsonFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kafkakit-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let json = #"""
        {
          "kafka": {
            "bootstrap": { "servers": ["a:9092", "b:9092"] },
            "linger.ms": 5,
            "enable": { "idempotence": true },
            "sasl": { "mechanisms": "PLAIN", "username": "alice", "password": "s3cret" },
            "security.protocol": "sasl_plaintext",
            "group.protocol": "consumer",
            "kafkakit": { "shutdown.timeout.ms": 1500 }
          }
        }
        """#
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let file = try await FileProvider<JSONSnapshot>(config: ConfigReader(provider: InMemoryProvider(values: ["filePath": .init(.string(path), isSecret: false)])))
        let reporter = RecordingReporter()
        let configuration = try KafkaConfiguration(config: ConfigReader(provider: file, accessReporter: reporter).scoped(to: "kafka"))
        #expect(configuration.properties == [
            "bootstrap.servers": "a:9092,b:9092", "linger.ms": "5", "enable.idempotence": "true",
            "sasl.mechanisms": "PLAIN", "sasl.username": "alice", "sasl.password": "s3cret",
            "security.protocol": "sasl_plaintext", "group.protocol": "consumer", "partitioner": "murmur2_random",
        ])
        #expect(configuration.shutdownTimeout == .milliseconds(1500))
        #expect(reporter.foundSecret("kafka.sasl.password") == true)
    }

    @Test("a value librdkafka refuses is an error naming the key and the property")
    func badLibrdkafkaValue() throws {
        func read(_ variables: [String: String]) throws(KafkaError) -> KafkaConfiguration {
            try KafkaConfiguration(config: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables)).scoped(to: "kafka"))
        }
        let linger = #expect(throws: KafkaError.self) { try read(["KAFKA_LINGER_MS": "soon"]) }
        #expect(linger?.property == "linger.ms")
        #expect(linger?.message.hasPrefix("configuration key 'linger.ms': ") == true, "\(linger?.message ?? "")")
        let acks = #expect(throws: KafkaError.self) { try read(["KAFKA_ACKS": "most"]) }
        #expect(acks?.property == "acks")
        let brokers = #expect(throws: KafkaError.self) { try read(["KAFKA_BOOTSTRAP_SERVERS": "host:port"]) }
        #expect(brokers?.property == "bootstrap.servers")
        #expect(brokers?.message.contains("configuration key 'bootstrap.servers'") == true)
        let protocolError = #expect(throws: KafkaError.self) { try read(["KAFKA_SECURITY_PROTOCOL": "carrier_pigeon", "KAFKA_SASL_PASSWORD": "s3cret"]) }
        #expect(protocolError?.property == "security.protocol")
        #expect(!String(describing: protocolError).contains("s3cret"))
    }

    @Test("a bad KafkaKit setting is an error naming its key")
    func badKafkaKitSetting() throws {
        func message(_ key: String, _ value: String) -> String? {
            #expect(throws: KafkaError.self) {
                try KafkaConfiguration(config: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: [key: value])).scoped(to: "kafka"))
            }?.message
        }
        #expect(message("KAFKA_KAFKAKIT_SHUTDOWN_TIMEOUT_MS", "soon") == "configuration key 'kafkakit.shutdown.timeout.ms' must be a whole number, not 'soon'")
        #expect(message("KAFKA_KAFKAKIT_EVENT_BUFFER_CAPACITY", "0") == "configuration key 'kafkakit.event.buffer.capacity' must be 1 or more, not 0")
        #expect(message("KAFKA_KAFKAKIT_QUEUE_FULL_WAIT_MS", "-1") == "configuration key 'kafkakit.queue.full.wait.ms' must be 0 or more, not -1")
        #expect(message("KAFKA_KAFKAKIT_TRACING", "maybe") == "configuration key 'kafkakit.tracing' must be yes or no, not 'maybe'")
    }
}
