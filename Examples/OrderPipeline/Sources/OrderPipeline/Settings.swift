import Configuration
import KafkaKit
import KafkaKitConfiguration

/// The service's settings, read with swift-configuration from environment variables.
///
/// - `ORDERS_HTTP_HOST` (127.0.0.1), `ORDERS_HTTP_PORT` (8080; 0 picks a free port),
///   `ORDERS_TOPIC` (orders), `ORDERS_ACCEPTED_TOPIC` (orders.accepted), `ORDERS_GROUP`
///   (order-pipeline), `ORDERS_TRANSACTIONAL_ID` (order-pipeline-1).
/// - `KAFKA_*`: any librdkafka property for all three clients, by KafkaKit's
///   `KafkaConfiguration(config:)` (`KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SECURITY_PROTOCOL`,
///   `KAFKA_SASL_PASSWORD` — read as a secret, ...).
/// - `CONSUMER_*`: librdkafka properties for the pipeline's consumer only
///   (`CONSUMER_SESSION_TIMEOUT_MS`).
struct Settings: Sendable {
    var host: String
    var port: Int
    var ordersTopic: String
    var acceptedTopic: String
    var group: String
    var transactionalID: String
    /// What all three clients share.
    var kafka: KafkaConfiguration
    /// Properties for the consumer only.
    var consumerProperties: [String: String]

    static func fromEnvironment() throws -> Settings {
        let config = ConfigReader(provider: EnvironmentVariablesProvider())
        let orders = config.scoped(to: "orders")
        let port = orders.int(forKey: "http.port", default: 8080)
        guard (0...65535).contains(port) else {
            throw SettingsError(message: "ORDERS_HTTP_PORT: \(port) is not a port number (0-65535)")
        }
        var kafka = try KafkaConfiguration(config: config.scoped(to: "kafka"))
        if kafka.bootstrapServers.isEmpty { kafka.bootstrapServers = ["127.0.0.1:9092"] }
        if kafka.clientID == nil { kafka.clientID = "order-pipeline" }
        let consumer = try KafkaConfiguration(config: config.scoped(to: "consumer"))
        return Settings(
            host: orders.string(forKey: "http.host", default: "127.0.0.1"),
            port: port,
            ordersTopic: orders.string(forKey: "topic", default: "orders"),
            acceptedTopic: orders.string(forKey: "accepted.topic", default: "orders.accepted"),
            group: orders.string(forKey: "group", default: "order-pipeline"),
            transactionalID: orders.string(forKey: "transactional.id", default: "order-pipeline-1"),
            kafka: kafka,
            consumerProperties: consumer.properties
        )
    }
}

struct SettingsError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
