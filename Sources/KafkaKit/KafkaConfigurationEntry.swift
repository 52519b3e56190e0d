import CLibrdkafka

/// One effective configuration property as librdkafka sees it (defaults included), with the
/// value of a secret property replaced by `[redacted]`.
public struct KafkaConfigurationEntry: Sendable, Hashable, CustomStringConvertible {
    /// Whether the property belongs to the client (global) or to the default topic configuration.
    public enum Scope: String, Sendable, Hashable {
        case global
        case topic
    }

    /// librdkafka's property name.
    public let name: String
    /// The effective value (`[redacted]` for secrets).
    public let value: String
    /// Where the property applies.
    public let scope: Scope

    public var description: String { "\(name) = \(value)" }
}

extension KafkaConfiguration {
    /// Every property librdkafka would use for this configuration — defaults included — as the
    /// Tcl binding's `config` with no arguments lists them. Secret values are redacted.
    ///
    /// - Throws: ``KafkaError`` naming the first property librdkafka rejects.
    public func effectiveProperties() throws(KafkaError) -> [KafkaConfigurationEntry] {
        let conf = try RDKafkaConfig.makeConf(self)
        defer { rd_kafka_conf_destroy(conf) }
        if let topicConf = rd_kafka_conf_get_default_topic_conf(conf) {
            return RDKafkaConfig.dump(global: conf, topic: topicConf)
        }
        let defaults = rd_kafka_topic_conf_new()
        defer { rd_kafka_topic_conf_destroy(defaults) }
        return RDKafkaConfig.dump(global: conf, topic: defaults)
    }
}
