/// Configuration of a Kafka client: any librdkafka property by its own name, plus the
/// KafkaKit settings that librdkafka has no property for.
///
/// Property names and values are librdkafka's (see its `CONFIGURATION.md`). Topic-level
/// properties (`acks`, `message.timeout.ms`, `partitioner`, ...) may be set here directly;
/// librdkafka applies them to the default topic configuration. ``topicProperties`` holds
/// properties that must be set on the topic configuration only.
///
/// Nothing is validated until a client is created: then every property is handed to librdkafka
/// and the first one it rejects fails creation with a ``KafkaError`` naming the property and
/// giving librdkafka's reason. KafkaKit refuses, the same way, what librdkafka would take but
/// misread: a NUL in a name or value, a `bootstrap.servers` entry with a bad port or no host.
///
/// ```swift
/// var config = KafkaConfiguration(bootstrapServers: ["127.0.0.1:9092"])
/// config.acks = .all
/// config.linger = .milliseconds(5)
/// config["socket.keepalive.enable"] = "true"
/// ```
public struct KafkaConfiguration: Sendable, Hashable {
    /// Global librdkafka properties by name (topic-level names are accepted too).
    public var properties: [String: String]
    /// Properties applied to the default topic configuration only.
    public var topicProperties: [String: String]

    /// What ``KafkaProducer/send(_:)`` does when librdkafka's local queue is full.
    public var queueFullPolicy: QueueFullPolicy = .wait(timeout: .seconds(10))
    /// How many delivery reports (each error or statistics event counts as one) may wait for a
    /// slow reader of ``KafkaProducerEvents``. While that many wait, fire-and-forget sends are
    /// refused as if the local queue were full (so ``queueFullPolicy`` applies: by default they
    /// wait for the reader); awaited sends and sends with their own handler or receiver are
    /// never refused, and the poller never waits for the reader, so shutdown cannot hang on
    /// it. Reports already in librdkafka still arrive, so the buffer may exceed the bound by
    /// what was in flight. A report takes about 50 bytes: the default is near 3 MB.
    public var eventBufferCapacity: Int = 65_536
    /// How long a graceful shutdown waits for outstanding messages before purging the rest.
    public var shutdownTimeout: Duration = .seconds(30)

    /// Consumer: the most messages the reader takes from librdkafka at once (librdkafka's own
    /// queue, bounded by `queued.max.messages.kbytes`, holds the rest).
    public var consumerBatchSize: Int = 1024

    /// Trace context in record headers and spans for sends and processed records
    /// (swift-distributed-tracing); `nil`, the default, turns tracing off at no cost per
    /// record. See ``KafkaTracingOptions`` and <doc:Tracing>.
    public var tracing: KafkaTracingOptions? = nil
    /// swift-metrics counters and gauges from librdkafka's statistics (and KafkaKit's own
    /// counters), for any client kind; `nil` (the default) turns them off at no cost. Setting
    /// it sets `statistics.interval.ms` to its interval unless that property is set. See
    /// <doc:Metrics>.
    public var metrics: KafkaMetricsOptions? = nil

    /// What a send does when the local producer queue is full.
    public enum QueueFullPolicy: Sendable, Hashable {
        /// Wait up to `timeout` while delivery reports drain the queue, then fail with
        /// ``KafkaError/Code/queueFull``.
        case wait(timeout: Duration)
        /// Fail at once with ``KafkaError/Code/queueFull``.
        case failFast
    }

    /// A configuration with KafkaKit's defaults: the Java-compatible `murmur2_random`
    /// partitioner, so a key lands on the same partition as with the Java client.
    public init() {
        self.properties = ["partitioner": Partitioner.murmur2Random.rawValue]
        self.topicProperties = [:]
    }

    /// A configuration for the given bootstrap servers (`host:port`).
    public init(bootstrapServers: [String]) {
        self.init()
        self.bootstrapServers = bootstrapServers
    }

    /// Any librdkafka property by its name; `nil` removes it (librdkafka's default applies).
    public subscript(property: String) -> String? {
        get { properties[property] }
        set { properties[property] = newValue }
    }

    /// A property's value as it may be shown: `[redacted]` for a secret (an empty value stays
    /// empty: there is nothing to hide).
    public static func shownValue(_ value: String, of property: String) -> String {
        isSensitive(property) && !value.isEmpty ? "[redacted]" : value
    }

    /// Every value as it may be shown (see ``shownValue(_:of:)``).
    public static func shownValues(_ properties: [String: String]) -> [String: String] {
        properties.reduce(into: [:]) { $0[$1.key] = shownValue($1.value, of: $1.key) }
    }

    /// Whether a property holds secret material whose value must never be shown.
    /// Every property librdkafka itself hides as sensitive is one (except `sasl.username` and
    /// `ssl.ca.pem`: a name and a public certificate).
    public static func isSensitive(_ property: String) -> Bool {
        let name = property.lowercased()
        return name.contains("password") || name.contains("passphrase") || name.contains("secret")
            || name.hasPrefix("ssl.key") || name == "ssl_key" || name == "sasl.oauthbearer.config"
            || name.contains("private.key") || name.contains("token")
    }
}

extension KafkaConfiguration {
    /// Java-compatible and librdkafka partitioners (`partitioner`).
    public enum Partitioner: String, Sendable, Hashable, CaseIterable {
        case random
        case consistent
        case consistentRandom = "consistent_random"
        case murmur2
        case murmur2Random = "murmur2_random"
        case fnv1a
        case fnv1aRandom = "fnv1a_random"
    }

    /// How many acknowledgements the leader must collect before answering (`acks`).
    public enum Acks: Sendable, Hashable {
        /// `acks=0`: the broker does not answer.
        case noAcknowledgement
        /// `acks=1`: the leader alone.
        case leader
        /// `acks=all`: all in-sync replicas.
        case all
        /// A specific number of acknowledgements.
        case count(Int)

        var propertyValue: String {
            switch self {
            case .noAcknowledgement: "0"
            case .leader: "1"
            case .all: "all"
            case .count(let n): String(n)
            }
        }

        init?(propertyValue: String) {
            switch propertyValue {
            case "0": self = .noAcknowledgement
            case "1": self = .leader
            case "all", "-1": self = .all
            default:
                guard let n = Int(propertyValue) else { return nil }
                self = .count(n)
            }
        }
    }

    /// Compression codec for produced batches (`compression.codec`).
    public enum Compression: String, Sendable, Hashable, CaseIterable {
        case uncompressed = "none"
        case gzip, snappy, lz4, zstd
    }

    /// `bootstrap.servers`: the initial brokers, as `host:port`.
    public var bootstrapServers: [String] {
        get { properties["bootstrap.servers"].map { $0.split(separator: ",").map(String.init) } ?? [] }
        set { properties["bootstrap.servers"] = newValue.isEmpty ? nil : newValue.joined(separator: ",") }
    }

    /// `client.id`: the name this client reports to brokers.
    public var clientID: String? {
        get { properties["client.id"] }
        set { properties["client.id"] = newValue }
    }

    /// `acks`: required acknowledgements.
    public var acks: Acks? {
        get { properties["acks"].flatMap(Acks.init(propertyValue:)) }
        set { properties["acks"] = newValue?.propertyValue }
    }

    /// `linger.ms`: how long to wait for more messages before sending a batch.
    public var linger: Duration? {
        get { milliseconds("linger.ms") }
        set { setMilliseconds("linger.ms", newValue) }
    }

    /// `compression.codec`.
    public var compression: Compression? {
        get { properties["compression.codec"].flatMap(Compression.init(rawValue:)) }
        set { properties["compression.codec"] = newValue?.rawValue }
    }

    /// `enable.idempotence`: exactly-once, in-order delivery per partition.
    public var isIdempotent: Bool? {
        get { properties["enable.idempotence"].map { $0 == "true" } }
        set { properties["enable.idempotence"] = newValue.map { $0 ? "true" : "false" } }
    }

    /// `message.timeout.ms`: how long a message may take to be delivered before it fails.
    public var messageTimeout: Duration? {
        get { milliseconds("message.timeout.ms") }
        set { setMilliseconds("message.timeout.ms", newValue) }
    }

    /// `request.timeout.ms`: how long the producer waits for a broker's acknowledgement.
    public var requestTimeout: Duration? {
        get { milliseconds("request.timeout.ms") }
        set { setMilliseconds("request.timeout.ms", newValue) }
    }

    /// `message.max.bytes`: the largest message (and request) the client sends.
    public var messageMaxBytes: Int? {
        get { properties["message.max.bytes"].flatMap { Int($0) } }
        set { properties["message.max.bytes"] = newValue.map(String.init) }
    }

    /// `partitioner`: how a partition is chosen for records without one. KafkaKit's default is
    /// ``Partitioner/murmur2Random`` (librdkafka's own default is `consistent_random`).
    public var partitioner: Partitioner? {
        get { properties["partitioner"].flatMap(Partitioner.init(rawValue:)) }
        set { properties["partitioner"] = newValue?.rawValue }
    }

    /// `statistics.interval.ms`: how often librdkafka emits statistics JSON (`nil` or zero: never).
    public var statisticsInterval: Duration? {
        get { milliseconds("statistics.interval.ms") }
        set { setMilliseconds("statistics.interval.ms", newValue) }
    }

    private func milliseconds(_ name: String) -> Duration? {
        properties[name].flatMap { Int64($0) }.map { .milliseconds($0) }
    }

    private mutating func setMilliseconds(_ name: String, _ value: Duration?) {
        properties[name] = value.map { String($0.wholeMilliseconds) }
    }
}

extension Duration {
    /// The duration in whole milliseconds (truncated), clamped to `Int64`.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        return ms + attoseconds / 1_000_000_000_000_000
    }

    /// Milliseconds as librdkafka's `int timeout_ms` (`-1` never happens: clamped at zero).
    var timeoutMilliseconds: Int32 {
        Int32(clamping: max(0, wholeMilliseconds))
    }
}

extension KafkaConfiguration: CustomStringConvertible, CustomReflectable {
    /// The properties set (sorted), values of secret ones shown as `[redacted]`.
    public var description: String {
        func list(_ properties: [String: String]) -> String {
            properties.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(Self.shownValue($0.value, of: $0.key))" }
                .joined(separator: ", ")
        }
        var text = "KafkaConfiguration(" + list(properties)
        if !topicProperties.isEmpty { text += "; topic: " + list(topicProperties) }
        return text + ")"
    }

    /// What `dump` and debuggers show: secret values redacted.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "properties": Self.shownValues(properties), "topicProperties": Self.shownValues(topicProperties),
            "queueFullPolicy": queueFullPolicy, "eventBufferCapacity": eventBufferCapacity,
            "shutdownTimeout": shutdownTimeout, "consumerBatchSize": consumerBatchSize,
            "tracing": tracing as Any,
            "metrics": metrics as Any,
        ])
    }
}
