import Configuration
import KafkaKit

/// How KafkaKit reads values from a `ConfigReader`: every value may be text (environment
/// variables and command-line arguments are nothing else); file formats with types may give
/// the property's own type instead.
extension ConfigReader {
    /// The value at `key` as librdkafka takes it: text as it is, else a value of the
    /// property's type (`true`, `5`, `0.5`, or a list of strings joined with commas).
    func librdkafkaValue(forKey key: ConfigKey, kind: KafkaConfiguration.LibrdkafkaProperty.Kind, isSecret: Bool) -> String? {
        if let text = string(forKey: key, isSecret: isSecret) { return text }
        switch kind {
        case .boolean: return bool(forKey: key, isSecret: isSecret).map { $0 ? "true" : "false" }
        case .integer: return int(forKey: key, isSecret: isSecret).map { String($0) }
        case .float:
            // A whole number as one (`5`, not `5.0`).
            return int(forKey: key, isSecret: isSecret).map { String($0) } ?? double(forKey: key, isSecret: isSecret).map { String($0) }
        case .string: return stringArray(forKey: key, isSecret: isSecret).map { $0.joined(separator: ",") }
        }
    }

    /// Every librdkafka property found under this reader, by name. Secret ones (see
    /// `isSensitive(_:)`) are read as secrets, so that access
    /// reporters redact them. `skipping` names properties the caller reads under keys of its own.
    func librdkafkaProperties(skipping: Set<String> = []) -> [String: String] {
        var properties: [String: String] = [:]
        for property in KafkaConfiguration.settableLibrdkafkaProperties where !skipping.contains(property.name) {
            let value = librdkafkaValue(
                forKey: ConfigKey(property.name), kind: property.kind, isSecret: KafkaConfiguration.isSensitive(property.name))
            if let value { properties[property.name] = value }
        }
        return properties
    }

    /// A whole number of at least `minimum` at `key`, or `nil` if there is none.
    ///
    /// - Throws: `KafkaError` naming the key (as `shown`) if the value is not one.
    func wholeNumber(forKey key: ConfigKey, shown: String, minimum: Int) throws(KafkaError) -> Int? {
        let number: Int?
        if let text = string(forKey: key) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let parsed = Int(trimmed) else {
                throw KafkaError.badConfigurationValue(shown, "must be a whole number, not '\(text)'")
            }
            number = parsed
        } else {
            number = int(forKey: key)
        }
        if let number, number < minimum {
            throw KafkaError.badConfigurationValue(shown, "must be \(minimum) or more, not \(number)")
        }
        return number
    }

    /// A yes/no value at `key` (`yes`, `no`, `true`, `false`, `on`, `off`, `1`, `0`, as in
    /// `kafka.conf`), or `nil` if there is none.
    ///
    /// - Throws: `KafkaError` naming the key if the value is none of these.
    func yesOrNo(forKey key: ConfigKey, shown: String) throws(KafkaError) -> Bool? {
        guard let text = string(forKey: key) else { return bool(forKey: key) }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default: throw KafkaError.badConfigurationValue(shown, "must be yes or no, not '\(text)'")
        }
    }

    /// A list at `key`: text split at commas (blanks around entries dropped), or a list of
    /// strings; `nil` if there is none.
    func list(forKey key: ConfigKey) -> [String]? {
        if let text = string(forKey: key) {
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return stringArray(forKey: key)
    }
}

extension KafkaError {
    /// `configuration key 'KEY' WHY`.
    static func badConfigurationValue(_ key: String, _ why: String, property: String? = nil) -> KafkaError {
        KafkaError(code: .invalidArgument, message: "configuration key '\(key)' \(why)", property: property ?? key)
    }

    /// A librdkafka property's problem (from `validateProperties()`)
    /// told with the configuration key it was read from: `keyOf` gives the key of a property.
    func namingConfigurationKey(_ keyOf: (String) -> String) -> KafkaError {
        guard let property else { return self }
        var error = self
        error.message = "configuration key '\(keyOf(property))': \(message)"
        return error
    }
}
