public import Configuration
public import KafkaKit
public import KafkaKitConnections

extension KafkaConnection {
    /// The `kafka.conf` keys of a connection that stand for a librdkafka property, by it.
    private static let seedKeys: [(key: String, property: String)] = [
        ("brokers", "bootstrap.servers"), ("client_id", "client.id"), ("message_max_bytes", "message.max.bytes"),
        ("request_timeout_ms", "request.timeout.ms"), ("message_timeout_ms", "message.timeout.ms"),
    ]

    /// Reads the connection `name` from swift-configuration, with the keys of a `kafka.conf`
    /// connection section under `name`: with a reader scoped to `kafka`, the connection
    /// `orders` reads `kafka.orders.brokers` (`KAFKA_ORDERS_BROKERS` from environment
    /// variables), `kafka.orders.client_id`, ... and any librdkafka property by its name as
    /// a key path (`kafka.orders.sasl.password`, `KAFKA_ORDERS_SASL_PASSWORD`), secrets read
    /// as secrets. See `KafkaConfiguration.init(config:)` for how names become keys.
    ///
    /// The seed's keys keep their meaning and defaults: `brokers` (a comma-separated list or
    /// a list of strings, default `localhost:9092`), `client_id`, `message_max_bytes`,
    /// `request_timeout_ms`, `message_timeout_ms`. librdkafka's own names for these
    /// (`bootstrap.servers`, `client.id`, ...) are taken too, the seed's key first; with
    /// environment variables both spell the same variable (`KAFKA_ORDERS_CLIENT_ID`).
    ///
    /// - Throws: `KafkaError` naming the key of the first bad value: an empty or
    ///   malformed `brokers`, a number that is not a non-negative whole number, a property
    ///   librdkafka refuses.
    public init(name: String, config: ConfigReader) throws(KafkaError) {
        self.init(name: name)
        let scoped = config.scoped(to: ConfigKey([name]))
        func shown(_ key: String) -> String { "\(name).\(key)" }
        properties = scoped.librdkafkaProperties(skipping: Set(Self.seedKeys.map(\.property)))
        for (key, property) in Self.seedKeys {
            let kind = KafkaConfiguration.settableLibrdkafkaProperties.first { $0.name == property }?.kind ?? .string
            // The seed's key first, then librdkafka's name; a list for the brokers, else one value.
            func read(_ name: String) -> [String]? {
                property == "bootstrap.servers"
                    ? scoped.list(forKey: ConfigKey(name))
                    : scoped.librdkafkaValue(forKey: ConfigKey(name), kind: kind, isSecret: false).map { [$0] }
            }
            let found = read(key).map { (key, $0) } ?? read(property).map { (property, $0) }
            guard let (foundKey, values) = found else { continue }
            switch key {
            case "brokers":
                let list = values.joined(separator: ",")
                guard !values.isEmpty else {
                    throw KafkaError.badConfigurationValue(shown(foundKey), "is empty: expected HOST:PORT[,HOST:PORT...]", property: property)
                }
                if let (message, _) = KafkaError.brokerListProblem(list) {
                    throw KafkaError.badConfigurationValue(shown(foundKey), "is not a broker list: \(message)", property: property)
                }
                brokers = values
            case "client_id":
                clientID = values[0]
            default:
                let text = values[0].trimmingCharacters(in: .whitespaces)
                guard let number = Int(text), number >= 0 else {
                    throw KafkaError.badConfigurationValue(shown(foundKey), "must be a non-negative whole number, not '\(values[0])'", property: property)
                }
                switch key {
                case "message_max_bytes": messageMaxBytes = number
                case "request_timeout_ms": requestTimeoutMilliseconds = number
                default: messageTimeoutMilliseconds = number
                }
            }
        }
        do {
            try configuration.validateProperties()
        } catch {
            throw error.namingConfigurationKey { property in
                shown(Self.seedKeys.first { $0.property == property }?.key ?? property)
            }
        }
    }
}
