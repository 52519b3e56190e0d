import Foundation

/// The service's settings, from environment variables.
struct Settings: Sendable {
    var bootstrapServers: String
    var host: String
    var port: Int
    var ordersTopic: String
    var acceptedTopic: String
    var group: String
    var transactionalID: String

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        func value(_ name: String, _ fallback: String) -> String {
            if let value = environment[name], !value.isEmpty { return value }
            return fallback
        }
        let portText = value("ORDERS_HTTP_PORT", "8080")
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw SettingsError(message: "ORDERS_HTTP_PORT: '\(portText)' is not a port number (0-65535)")
        }
        return Settings(
            bootstrapServers: value("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            host: value("ORDERS_HTTP_HOST", "127.0.0.1"),
            port: port,
            ordersTopic: value("ORDERS_TOPIC", "orders"),
            acceptedTopic: value("ORDERS_ACCEPTED_TOPIC", "orders.accepted"),
            group: value("ORDERS_GROUP", "order-pipeline"),
            transactionalID: value("ORDERS_TRANSACTIONAL_ID", "order-pipeline-1")
        )
    }
}

struct SettingsError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
