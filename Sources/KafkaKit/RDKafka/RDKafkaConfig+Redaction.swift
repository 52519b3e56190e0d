extension RDKafkaConfig {
    /// Removes the value of every secret property of `configuration` from `text`.
    static func redactSecrets(in text: String, of configuration: KafkaConfiguration) -> String {
        var text = text
        for (name, value) in configuration.properties.merging(configuration.topicProperties, uniquingKeysWith: { a, _ in a })
        where KafkaConfiguration.isSensitive(name) {
            text = redact(text, property: name, value: value)
        }
        return text
    }
}
