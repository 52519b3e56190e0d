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
    /// `dr_msg_cb`, are left out).
    package static let librdkafkaProperties: [LibrdkafkaProperty] = readLibrdkafkaProperties()

    private static func readLibrdkafkaProperties() -> [LibrdkafkaProperty] {
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return [] }
        rd_kafka_conf_properties_show(stream)
        fclose(stream)
        guard let buffer else { return [] }
        defer { free(buffer) }
        let table = String(cString: buffer)
        var seen = Set<String>()
        var properties: [LibrdkafkaProperty] = []
        // Rows: `name | C/P | range | default | importance | description *Type: T*`.
        for line in table.split(separator: "\n") {
            guard let first = line.first, first.isLowercase, let bar = line.firstIndex(of: "|") else { continue }
            let name = line[..<bar].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.contains(" "), let typeStart = line.range(of: "*Type: ") else { continue }
            let type = line[typeStart.upperBound...].prefix { $0 != "*" }
            let kind: LibrdkafkaProperty.Kind
            switch type {
            case "boolean": kind = .boolean
            case "integer": kind = .integer
            case "float": kind = .float
            case "see dedicated API": continue
            default: kind = .string  // string, enum value, CSV flags, pattern list
            }
            if seen.insert(name).inserted { properties.append(LibrdkafkaProperty(name: name, kind: kind)) }
        }
        return properties
    }

    /// Checks every property as a client's creation would (librdkafka's own checks of names and
    /// values, and KafkaKit's), without making a client: the first problem is thrown as
    /// ``KafkaError`` naming the property, with secret values redacted. librdkafka checks how
    /// properties go together (`sasl.mechanisms` against `security.protocol`, ...) only when a
    /// client is made.
    package func validateProperties() throws(KafkaError) {
        rd_kafka_conf_destroy(try RDKafkaConfig.makeConf(self))
    }
}
