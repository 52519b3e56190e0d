public import Configuration
public import KafkaKit

extension KafkaConfiguration {
    /// Reads a client configuration from swift-configuration: every librdkafka property by its
    /// name as a key path, and KafkaKit's own settings under `kafkakit`. Keys are relative to
    /// the reader: scope it (`config.scoped(to: "kafka")`) to keep them apart from others.
    ///
    /// A librdkafka name's dots separate key components, so `bootstrap.servers` is read as
    /// `kafka.bootstrap.servers` in memory, JSON or YAML (nested or written flat), as
    /// `KAFKA_BOOTSTRAP_SERVERS` from environment variables, and as
    /// `--kafka-bootstrap-servers` from command-line arguments. Every property the installed
    /// librdkafka knows is looked up (global and topic-level, aliases included): security
    /// (`security.protocol`, `sasl.*`, `ssl.*`), `client.id`, `acks`, `linger.ms`, ... Secrets
    /// (`isSensitive(_:)`: `sasl.password`, `ssl.key.password`, OAuth client secrets, ...)
    /// are read as secrets, so access reporters redact them.
    ///
    /// A value may be text, or the property's own type where the source has types (a JSON
    /// number for `linger.ms`, a boolean for `enable.idempotence`, a list of strings for
    /// `bootstrap.servers`). Keys nothing asks for are not noticed: a misspelt name is
    /// ignored, as in any swift-configuration reader.
    ///
    /// KafkaKit's settings, librdkafka having no property for them:
    /// - `kafkakit.queue.full.wait.ms` (integer ≥ 0, default 10 000): `queueFullPolicy`,
    ///   how long a send waits for queue space; 0 fails at once.
    /// - `kafkakit.event.buffer.capacity` (integer ≥ 1): `eventBufferCapacity`.
    /// - `kafkakit.shutdown.timeout.ms` (integer ≥ 0): `shutdownTimeout`.
    /// - `kafkakit.consumer.batch.size` (integer ≥ 1): `consumerBatchSize`.
    /// - `kafkakit.tracing` (yes/no, default no): `tracing` with its default options (the
    ///   bootstrapped tracer).
    ///
    /// ```swift
    /// let config = ConfigReader(providers: [
    ///     EnvironmentVariablesProvider(),                  // KAFKA_SASL_PASSWORD=...
    ///     try await FileProvider<JSONSnapshot>(filePath: "/etc/app/config.json"),
    /// ])
    /// let configuration = try KafkaConfiguration(config: config.scoped(to: "kafka"))
    /// ```
    ///
    /// - Throws: `KafkaError` naming the key (relative to the reader) and the property of the
    ///   first value librdkafka or KafkaKit refuses, with secret values redacted. How
    ///   properties go together is checked when a client is made.
    public init(config: ConfigReader) throws(KafkaError) {
        self.init()
        for (name, value) in config.librdkafkaProperties() { self[name] = value }
        try readKafkaKitSettings(from: config.scoped(to: "kafkakit"), keyPrefix: "kafkakit.")
        do {
            try validateProperties()
        } catch {
            throw error.namingConfigurationKey { $0 }
        }
    }

    /// KafkaKit's own settings (see `init(config:)`), keys shown with `keyPrefix`.
    mutating func readKafkaKitSettings(from config: ConfigReader, keyPrefix: String) throws(KafkaError) {
        func number(_ key: String, minimum: Int) throws(KafkaError) -> Int? {
            try config.wholeNumber(forKey: ConfigKey(key), shown: keyPrefix + key, minimum: minimum)
        }
        if let milliseconds = try number("queue.full.wait.ms", minimum: 0) {
            queueFullPolicy = milliseconds == 0 ? .failFast : .wait(timeout: .milliseconds(milliseconds))
        }
        if let capacity = try number("event.buffer.capacity", minimum: 1) { eventBufferCapacity = capacity }
        if let milliseconds = try number("shutdown.timeout.ms", minimum: 0) { shutdownTimeout = .milliseconds(milliseconds) }
        if let size = try number("consumer.batch.size", minimum: 1) { consumerBatchSize = size }
        if let traced = try config.yesOrNo(forKey: "tracing", shown: keyPrefix + "tracing") {
            tracing = traced ? (tracing ?? KafkaTracingOptions()) : nil
        }
    }
}
