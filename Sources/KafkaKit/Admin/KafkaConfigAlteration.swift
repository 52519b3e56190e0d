/// One change of an incremental configuration update
/// (``KafkaAdminClient/incrementalAlterConfigs(_:_:timeout:)``, Kafka's
/// IncrementalAlterConfigs): entries not named keep their values.
public struct KafkaConfigAlteration: Sendable, Hashable, CustomStringConvertible {
    /// What to do with the entry.
    public enum Operation: Sendable, Hashable {
        /// Set the value.
        case set
        /// Remove the value set on the resource: the broker's default applies again.
        case delete
        /// Add to a list value (`cleanup.policy`, say).
        case append
        /// Remove from a list value.
        case subtract
    }

    /// The configuration entry's name (`retention.ms`, ...).
    public var name: String
    public var operation: Operation
    /// The value; `nil` for ``Operation/delete``.
    public var value: String?

    public init(name: String, operation: Operation, value: String?) {
        self.name = name
        self.operation = operation
        self.value = value
    }

    /// Sets `name` to `value`.
    public static func set(_ name: String, to value: String) -> KafkaConfigAlteration {
        KafkaConfigAlteration(name: name, operation: .set, value: value)
    }

    /// Removes the value set for `name`: the default applies again.
    public static func delete(_ name: String) -> KafkaConfigAlteration {
        KafkaConfigAlteration(name: name, operation: .delete, value: nil)
    }

    /// Adds `value` to the list value of `name`.
    public static func append(_ name: String, _ value: String) -> KafkaConfigAlteration {
        KafkaConfigAlteration(name: name, operation: .append, value: value)
    }

    /// Removes `value` from the list value of `name`.
    public static func subtract(_ name: String, _ value: String) -> KafkaConfigAlteration {
        KafkaConfigAlteration(name: name, operation: .subtract, value: value)
    }

    /// `set name=value`, `delete name`, ... (values of secret entries redacted).
    public var description: String {
        let shown = value.map { "=" + KafkaConfiguration.shownValue($0, of: name) } ?? ""
        return "\(operation) \(name)\(shown)"
    }
}
