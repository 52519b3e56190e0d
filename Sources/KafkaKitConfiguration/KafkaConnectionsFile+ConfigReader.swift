public import Configuration
public import KafkaKit
public import KafkaKitConnections

extension KafkaConnectionsFile {
    /// Reads named connections from swift-configuration: `connections` lists their names (a
    /// comma-separated list or a list of strings), each read with
    /// `KafkaConnection.init(name:config:)` under its name; `enabled`
    /// (yes/no, default yes) is `kafka.conf`'s `[general] enabled`.
    ///
    /// ```sh
    /// KAFKA_CONNECTIONS=orders,audit
    /// KAFKA_ORDERS_BROKERS=kafka1:9092,kafka2:9092
    /// KAFKA_AUDIT_BROKERS=audit:9092
    /// KAFKA_AUDIT_SASL_PASSWORD=...
    /// ```
    ///
    /// Broker IDs and subscriptions (`type = broker`, `type = subscription`) are `kafka.conf`'s
    /// only.
    ///
    /// - Throws: `KafkaError` naming the key: an empty or repeated connection name,
    ///   one that is also a key here (`connections`, `enabled`), a bad `enabled`, or a bad
    ///   value of a connection.
    public init(config: ConfigReader) throws(KafkaError) {
        self.init()
        if let enabled = try config.yesOrNo(forKey: "enabled", shown: "enabled") { isEnabled = enabled }
        var seen = Set<String>()
        for name in config.list(forKey: "connections") ?? [] {
            guard !["connections", "enabled"].contains(name) else {
                throw KafkaError.badConfigurationValue("connections", "names '\(name)', a key of its own here: choose another connection name", property: "connections")
            }
            guard seen.insert(name).inserted else {
                throw KafkaError.badConfigurationValue("connections", "names '\(name)' twice", property: "connections")
            }
            connections.append(try KafkaConnection(name: name, config: config))
        }
    }
}
