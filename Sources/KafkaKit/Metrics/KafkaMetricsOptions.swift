public import Metrics

/// Turns a client's metrics on: swift-metrics counters and gauges fed from librdkafka's
/// statistics, plus KafkaKit's own counters (see <doc:Metrics> for every name).
///
/// Set it on the configuration of any client — ``KafkaProducer``, ``KafkaConsumer``,
/// ``KafkaPartitionConsumer``, ``KafkaAdminClient``:
///
/// ```swift
/// var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:9092"])
/// configuration.metrics = KafkaMetricsOptions()  // the bootstrapped MetricsSystem, every second
/// ```
///
/// librdkafka then emits its statistics every ``interval`` (`statistics.interval.ms`, unless
/// that property is set explicitly, which then wins). KafkaKit decodes them once per interval
/// on a thread of its own, never on a sending or reading thread, and updates the metrics,
/// which it creates once per client (and once per broker or partition as they appear,
/// destroying them when they vanish). Nobody needs to iterate the client's events for this.
///
/// Off (`nil`, the default), a client creates no metric and decodes nothing.
///
/// Two options are equal when their interval and dimensions are, and their factory is the
/// same one given to the same options value (or both use the global one).
public struct KafkaMetricsOptions: Sendable, Hashable {
    /// Where the metrics are created: `nil` means `MetricsSystem.factory`, read when the
    /// client is created.
    public var factory: (any MetricsFactory)? {
        get { box?.factory }
        set { box = newValue.map(FactoryBox.init) }
    }

    /// How often librdkafka emits statistics, unless `statistics.interval.ms` is set
    /// explicitly. At least one millisecond; one second by default.
    public var interval: Duration

    /// Dimensions added to every metric of the client, before KafkaKit's own (`client.id`,
    /// `broker`, `topic`, `partition`, `error.code`).
    public var dimensions: [(String, String)]

    private var box: FactoryBox?

    /// Metrics from `factory` (`nil`: the global `MetricsSystem.factory`), updated every
    /// `interval`, with `dimensions` added to every metric.
    public init(factory: (any MetricsFactory)? = nil, interval: Duration = .seconds(1), dimensions: [(String, String)] = []) {
        self.box = factory.map(FactoryBox.init)
        self.interval = interval
        self.dimensions = dimensions
    }

    /// The factory, boxed so that options can be compared: a factory need not be a class.
    private final class FactoryBox: Sendable {
        let factory: any MetricsFactory
        init(_ factory: any MetricsFactory) { self.factory = factory }
    }

    public static func == (lhs: KafkaMetricsOptions, rhs: KafkaMetricsOptions) -> Bool {
        lhs.box === rhs.box && lhs.interval == rhs.interval
            && lhs.dimensions.elementsEqual(rhs.dimensions) { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(box.map(ObjectIdentifier.init))
        hasher.combine(interval)
        for (name, value) in dimensions {
            hasher.combine(name)
            hasher.combine(value)
        }
    }
}

extension KafkaMetricsOptions: CustomStringConvertible {
    /// The interval, the dimensions and whether a factory of its own is set.
    public var description: String {
        let dimensions = dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return "KafkaMetricsOptions(interval: \(interval), dimensions: [\(dimensions)], factory: \(box == nil ? "global" : "own"))"
    }
}
