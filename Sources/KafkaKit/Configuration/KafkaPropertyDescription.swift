import CLibrdkafka
import Foundation

/// A configuration property as the librdkafka linked at run time describes it
/// (``KafkaConfiguration/librdkafkaProperties``): what `kcat -X list` shows.
public struct KafkaPropertyDescription: Sendable, Hashable {
    /// Which clients use the property.
    public enum Clients: String, Sendable, Hashable {
        case consumer
        case producer
        case both
    }

    /// The property's name (`bootstrap.servers`, `acks`, ...).
    public var name: String
    /// Global (client) or topic-level.
    public var scope: KafkaConfigurationEntry.Scope
    public var clients: Clients
    /// The values allowed (`0 .. 1000000`, `none, gzip, ...`), `nil` if librdkafka gives none.
    public var range: String?
    /// librdkafka's default, `nil` if there is none.
    public var defaultValue: String?
    /// `low`, `medium` or `high`.
    public var importance: String
    /// The value's type (`integer`, `string`, `enum value`, `boolean`, `CSV flags`, `see
    /// dedicated API`, ...), `nil` if librdkafka gives none.
    public var type: String?
    /// librdkafka's description (Markdown, as in its `CONFIGURATION.md`).
    public var description: String
    /// The property this one is another name for (`bootstrap.servers` is an alias of
    /// `metadata.broker.list`), if it is an alias.
    public var aliasOf: String? {
        guard description.hasPrefix("Alias for `"), let end = description.dropFirst(11).firstIndex(of: "`") else { return nil }
        return String(description[description.index(description.startIndex, offsetBy: 11)..<end])
    }
}

extension KafkaConfiguration {
    /// librdkafka's property table as it prints it (`rd_kafka_conf_properties_show`): the
    /// Markdown of its `CONFIGURATION.md`, from the library loaded at run time.
    public static var librdkafkaPropertyTable: String { RDKafkaConfig.propertyTable }

    /// Every property the librdkafka loaded at run time knows, global ones first, in its order.
    /// A few names (`compression.codec`, `enable.auto.commit`, ...) are both a global and a
    /// topic-level property: they appear once in each scope.
    public static var librdkafkaProperties: [KafkaPropertyDescription] { RDKafkaConfig.propertyDescriptions }
}

extension RDKafkaConfig {
    static let propertyTable: String = {
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return "" }
        rd_kafka_conf_properties_show(stream)
        fclose(stream)
        defer { free(buffer) }
        return buffer.map { String(cString: $0) } ?? ""
    }()

    static let propertyDescriptions: [KafkaPropertyDescription] = parsePropertyTable(propertyTable)

    /// Reads the rows of librdkafka's table: `name | C/P | range | default | importance |
    /// description`. A default may itself hold `|` (`sasl.kerberos.kinit.cmd`'s `... || kinit`),
    /// so the columns after it are found by the importance column.
    static func parsePropertyTable(_ table: String) -> [KafkaPropertyDescription] {
        var descriptions: [KafkaPropertyDescription] = []
        var scope = KafkaConfigurationEntry.Scope.global
        for line in table.split(separator: "\n") {
            if line.hasPrefix("## ") {
                scope = line.contains("Topic") ? .topic : .global
                continue
            }
            let raw = line.split(separator: "|", omittingEmptySubsequences: false)
            let fields = raw.map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 6, !fields[0].isEmpty, fields[0] != "Property", !fields[0].hasPrefix("-") else { continue }
            guard let importance = fields.indices.dropFirst(4).first(where: { ["low", "medium", "high"].contains(fields[$0]) }) else { continue }
            let clients: KafkaPropertyDescription.Clients = switch fields[1] {
            case "C": .consumer
            case "P": .producer
            default: .both
            }
            var text = raw[(importance + 1)...].joined(separator: "|").trimmingCharacters(in: .whitespaces)
            var type: String?
            if let marker = text.range(of: "<br>*Type: "), text.hasSuffix("*") {
                type = String(text[marker.upperBound..<text.index(before: text.endIndex)])
                text = String(text[..<marker.lowerBound]).trimmingCharacters(in: .whitespaces)
            }
            let defaultValue = raw[3..<importance].joined(separator: "|").trimmingCharacters(in: .whitespaces)
            descriptions.append(KafkaPropertyDescription(
                name: fields[0], scope: scope, clients: clients,
                range: fields[2].isEmpty ? nil : fields[2],
                defaultValue: defaultValue.isEmpty ? nil : defaultValue,
                importance: fields[importance], type: type, description: text))
        }
        return descriptions
    }
}
