public import KafkaKit

/// A named connection from `kafka.conf`: the seed's keys with their defaults, and any other
/// librdkafka property.
public struct KafkaConnection: Sendable, Hashable {
    /// The section name.
    public var name: String
    /// `brokers`: bootstrap servers, `host:port` (default `localhost:9092`).
    public var brokers: [String] = ["localhost:9092"]
    /// `client_id` (default `asterisk`, as in the seed).
    public var clientID: String = "asterisk"
    /// `message_max_bytes` (default 1 000 000).
    public var messageMaxBytes: Int = 1_000_000
    /// `request_timeout_ms` (default 5 000).
    public var requestTimeoutMilliseconds: Int = 5_000
    /// `message_timeout_ms`: how long messages are buffered through a broker outage before
    /// they fail (default 300 000).
    public var messageTimeoutMilliseconds: Int = 300_000
    /// Every other key: a librdkafka property by its own name (global, or topic-level such as
    /// `acks`), validated by librdkafka when the connection's producer is created.
    public var properties: [String: String] = [:]
    /// Where the section starts (for messages).
    public var file: String?
    public var line: Int?
    /// The line of each key of the section, by the librdkafka property it sets, so that a
    /// property librdkafka rejects is reported at its own line.
    var propertyLines: [String: Int] = [:]

    public init(name: String) { self.name = name }

    /// The client configuration this connection stands for.
    public var configuration: KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: brokers)
        configuration.clientID = clientID
        configuration.messageMaxBytes = messageMaxBytes
        configuration.requestTimeout = .milliseconds(requestTimeoutMilliseconds)
        configuration.messageTimeout = .milliseconds(messageTimeoutMilliseconds)
        for (name, value) in properties { configuration[name] = value }
        return configuration
    }
}

extension KafkaConnection {
    /// The librdkafka property a `kafka.conf` key sets: the seed's keys have names of their own.
    static func propertyName(ofKey key: String) -> String {
        switch key {
        case "brokers": "bootstrap.servers"
        case "client_id": "client.id"
        case "message_max_bytes": "message.max.bytes"
        case "request_timeout_ms": "request.timeout.ms"
        case "message_timeout_ms": "message.timeout.ms"
        default: key
        }
    }
}

extension KafkaConnection: CustomReflectable {
    /// What `dump` and debuggers show: secret property values redacted.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "name": name, "brokers": brokers, "clientID": clientID, "messageMaxBytes": messageMaxBytes,
            "requestTimeoutMilliseconds": requestTimeoutMilliseconds, "messageTimeoutMilliseconds": messageTimeoutMilliseconds,
            "properties": KafkaConfiguration.shownValues(properties),
            "file": file as Any, "line": line as Any,
        ])
    }
}
