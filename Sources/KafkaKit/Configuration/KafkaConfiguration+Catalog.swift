import CLibrdkafka
import Foundation

/// The properties the installed librdkafka knows, read from its own table
/// (`rd_kafka_conf_properties_show`, the source of its CONFIGURATION.md) — for readers of
/// configuration sources that cannot list their keys (environment variables, a
/// swift-configuration `ConfigReader`), which must ask for each name.
extension KafkaConfiguration {
    /// A librdkafka property: its name and the type of its value.
    package struct LibrdkafkaProperty: Sendable, Hashable {
        /// What librdkafka's table gives as the property's type.
        package enum Kind: Sendable, Hashable {
            case boolean, integer, float, string
        }

        package var name: String
        package var kind: Kind
    }

    /// Every global and topic-level property that can be set as text, aliases included, each
    /// name once, in the table's order (properties set only through a C function, such as
    /// `dr_msg_cb`, are left out); from the same table as ``librdkafkaProperties``.
    package static let settableLibrdkafkaProperties: [LibrdkafkaProperty] = {
        var seen = Set<String>()
        var properties: [LibrdkafkaProperty] = []
        for description in librdkafkaProperties {
            let kind: LibrdkafkaProperty.Kind
            switch description.type {
            case "boolean": kind = .boolean
            case "integer": kind = .integer
            case "float": kind = .float
            case "see dedicated API": continue
            default: kind = .string  // string, enum value, CSV flags, pattern list
            }
            if seen.insert(description.name).inserted { properties.append(LibrdkafkaProperty(name: description.name, kind: kind)) }
        }
        return properties
    }()

    /// Checks every property as a client's creation would (librdkafka's own checks of names and
    /// values, and KafkaKit's), without making a client: the first problem is thrown as
    /// ``KafkaError`` naming the property, with secret values redacted. librdkafka checks how
    /// properties go together (`sasl.mechanisms` against `security.protocol`, ...) only when a
    /// client is made.
    package func validateProperties() throws(KafkaError) {
        rd_kafka_conf_destroy(try RDKafkaConfig.makeConf(self))
    }
}
