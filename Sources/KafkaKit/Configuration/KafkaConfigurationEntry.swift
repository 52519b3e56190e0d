import CLibrdkafka
import Foundation

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

extension KafkaConfiguration {
    /// Whether librdkafka knows `name` (aliases included) as a global or a topic-level
    /// property; `nil` if it knows no such property.
    public static func scope(ofProperty name: String) -> KafkaConfigurationEntry.Scope? {
        if RDKafkaConfig.propertyNames.global.contains(name) { return .global }
        if RDKafkaConfig.propertyNames.topic.contains(name) { return .topic }
        return nil
    }
}

extension RDKafkaConfig {
    /// librdkafka's own property table (`rd_kafka_conf_properties_show`), read once.
    static let propertyNames: (global: Set<String>, topic: Set<String>) = {
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return ([], []) }
        rd_kafka_conf_properties_show(stream)
        fclose(stream)
        defer { free(buffer) }
        guard let buffer else { return ([], []) }
        var global = Set<String>(), topic = Set<String>()
        var inTopicSection = false
        for line in String(cString: buffer).split(separator: "\n") {
            if line.hasPrefix("## ") {
                inTopicSection = line.contains("Topic")
                continue
            }
            guard let bar = line.firstIndex(of: "|") else { continue }
            let name = line[..<bar].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name != "Property", !name.hasPrefix("-") else { continue }
            if inTopicSection { topic.insert(name) } else { global.insert(name) }
        }
        return (global, topic)
    }()
}
