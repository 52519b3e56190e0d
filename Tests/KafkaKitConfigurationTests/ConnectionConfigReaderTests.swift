import Configuration
import KafkaKit
import KafkaKitConfiguration
import KafkaKitConnections
import Testing

@Suite("Named connections from swift-configuration")
struct ConnectionConfigReaderTests {
    func environment(_ variables: [String: String]) -> ConfigReader {
        ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables)).scoped(to: "kafka")
    }

    @Test("a connection's kafka.conf keys and librdkafka properties under its name, from environment variables")
    func fromEnvironment() throws {
        let config = environment([
            "KAFKA_ORDERS_BROKERS": "k1:9092, k2:9092",
            "KAFKA_ORDERS_CLIENT_ID": "shop",
            "KAFKA_ORDERS_MESSAGE_TIMEOUT_MS": "60000",
            "KAFKA_ORDERS_ACKS": "all",
            "KAFKA_ORDERS_SECURITY_PROTOCOL": "sasl_plaintext",
            "KAFKA_ORDERS_SASL_MECHANISMS": "PLAIN",
            "KAFKA_ORDERS_SASL_USERNAME": "shop",
            "KAFKA_ORDERS_SASL_PASSWORD": "s3cret",
            "KAFKA_AUDIT_BROKERS": "elsewhere:9092",
        ])
        let connection = try KafkaConnection(name: "orders", config: config)
        #expect(connection.name == "orders")
        #expect(connection.brokers == ["k1:9092", "k2:9092"])
        #expect(connection.clientID == "shop")
        #expect(connection.messageTimeoutMilliseconds == 60_000)
        #expect(connection.messageMaxBytes == 1_000_000 && connection.requestTimeoutMilliseconds == 5_000, "the seed's defaults")
        #expect(connection.properties == [
            "acks": "all", "security.protocol": "sasl_plaintext", "sasl.mechanisms": "PLAIN",
            "sasl.username": "shop", "sasl.password": "s3cret",
        ], "the seed's keys are not repeated as librdkafka properties")
        let configuration = connection.configuration
        #expect(configuration.bootstrapServers == ["k1:9092", "k2:9092"])
        #expect(configuration["message.timeout.ms"] == "60000")
        #expect(!String(describing: configuration).contains("s3cret"))
    }

    @Test("absent keys keep the seed's defaults; librdkafka's names stand in for the seed's keys")
    func defaultsAndLibrdkafkaNames() throws {
        let empty = try KafkaConnection(name: "plain", config: ConfigReader(provider: InMemoryProvider(values: [:])))
        #expect(empty == KafkaConnection(name: "plain"))
        let config = ConfigReader(provider: InMemoryProvider(values: [
            "kafka.other.bootstrap.servers": .init(.stringArray(["x:1", "y:2"]), isSecret: false),
            "kafka.other.message.max.bytes": 2_000_000,
            "kafka.other.request_timeout_ms": "7000",
            "kafka.other.linger.ms": 5,
        ])).scoped(to: "kafka")
        let other = try KafkaConnection(name: "other", config: config)
        #expect(other.brokers == ["x:1", "y:2"])
        #expect(other.messageMaxBytes == 2_000_000)
        #expect(other.requestTimeoutMilliseconds == 7_000)
        #expect(other.properties == ["linger.ms": "5"])
    }

    @Test("bad values are errors naming the connection's key")
    func badValues() throws {
        func error(_ variables: [String: String]) -> KafkaError? {
            #expect(throws: KafkaError.self) { try KafkaConnection(name: "orders", config: environment(variables)) }
        }
        let timeout = error(["KAFKA_ORDERS_MESSAGE_TIMEOUT_MS": "-5"])
        #expect(timeout?.message == "configuration key 'orders.message_timeout_ms' must be a non-negative whole number, not '-5'")
        #expect(timeout?.property == "message.timeout.ms")
        #expect(error(["KAFKA_ORDERS_BROKERS": " , "])?.message == "configuration key 'orders.brokers' is empty: expected HOST:PORT[,HOST:PORT...]")
        #expect(error(["KAFKA_ORDERS_BROKERS": "k1:x"])?.message.hasPrefix("configuration key 'orders.brokers' is not a broker list: ") == true)
        let linger = error(["KAFKA_ORDERS_LINGER_MS": "soon"])
        #expect(linger?.property == "linger.ms")
        #expect(linger?.message.hasPrefix("configuration key 'orders.linger.ms': ") == true)
    }

    @Test("the connections of a registry from environment variables, kafka.conf's [general] enabled included")
    func file() throws {
        let config = environment([
            "KAFKA_CONNECTIONS": "orders, audit",
            "KAFKA_ORDERS_BROKERS": "k1:9092",
            "KAFKA_AUDIT_BROKERS": "k2:9092",
            "KAFKA_AUDIT_SASL_PASSWORD": "s3cret",
        ])
        let file = try KafkaConnectionsFile(config: config)
        #expect(file.isEnabled)
        #expect(file.connections.map(\.name) == ["orders", "audit"])
        #expect(file.connection(named: "audit")?.properties == ["sasl.password": "s3cret"])
        let disabled = try KafkaConnectionsFile(config: environment(["KAFKA_ENABLED": "no", "KAFKA_CONNECTIONS": "orders"]))
        #expect(!disabled.isEnabled)
        #expect(try KafkaConnectionsFile(config: environment([:])) == KafkaConnectionsFile())

        // The registry takes it as it takes a kafka.conf (its producers are made on first use).
        let registry = KafkaConnectionRegistry(file)
        #expect(registry.file.connection(named: "orders")?.brokers == ["k1:9092"])
        let noSuch = #expect(throws: KafkaError.self) { try registry.producer(for: "billing") }
        #expect(noSuch?.message.contains("orders, audit") == true)

        func message(_ variables: [String: String]) -> String? {
            #expect(throws: KafkaError.self) { try KafkaConnectionsFile(config: environment(variables)) }?.message
        }
        #expect(message(["KAFKA_CONNECTIONS": "orders,orders"]) == "configuration key 'connections' names 'orders' twice")
        #expect(message(["KAFKA_CONNECTIONS": "enabled"]) == "configuration key 'connections' names 'enabled', a key of its own here: choose another connection name")
        #expect(message(["KAFKA_ENABLED": "perhaps"]) == "configuration key 'enabled' must be yes or no, not 'perhaps'")
        #expect(message(["KAFKA_CONNECTIONS": "orders", "KAFKA_ORDERS_REQUEST_TIMEOUT_MS": "x"])?.hasPrefix("configuration key 'orders.request_timeout_ms'") == true)
    }
}
