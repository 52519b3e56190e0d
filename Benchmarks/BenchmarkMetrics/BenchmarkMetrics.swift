// What the benchmarks use to run with metrics on (`BENCH_METRICS=1`, see scripts/bench): a
// metrics factory that keeps every value, as a real backend's handlers do, but exports
// nothing, so a run measures what KafkaKit's metrics cost rather than a backend's.
public import KafkaKit
public import Metrics
import Foundation
import Synchronization

public enum BenchmarkMetrics {
    /// The factory of this run's metrics, when on.
    nonisolated(unsafe) public private(set) static var factory: CountingMetricsFactory?

    /// With `BENCH_METRICS=1`, turns `configuration`'s metrics on with a counting factory at
    /// `BENCH_METRICS_INTERVAL_MS` (1000 unless set); with `BENCH_METRICS=statistics`, only
    /// librdkafka's statistics at that interval, no metrics (what librdkafka's part costs).
    /// Returns whether metrics are on.
    @discardableResult
    public static func apply(to configuration: inout KafkaConfiguration) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        let milliseconds = environment["BENCH_METRICS_INTERVAL_MS"].flatMap(Int64.init) ?? 1000
        if environment["BENCH_METRICS"] == "statistics" {
            configuration.statisticsInterval = .milliseconds(milliseconds)
            return false
        }
        guard environment["BENCH_METRICS"] == "1" else { return false }
        let factory = CountingMetricsFactory()
        Self.factory = factory
        configuration.metrics = KafkaMetricsOptions(factory: factory, interval: .milliseconds(milliseconds))
        return true
    }

    /// ` metrics_handlers=N metrics_updates=N metrics_processing_us=N` for a result line when
    /// metrics are on (metric objects made, values recorded so far, and the time KafkaKit spent
    /// decoding statistics and updating metrics: its `*.statistics.processing` timer's sum), else "".
    public static var resultField: String {
        factory.map {
            " metrics_handlers=\($0.handlers) metrics_updates=\($0.updates) metrics_processing_us=\($0.timedNanoseconds / 1000)"
        } ?? ""
    }
}

/// Handlers that keep their latest value (counters their total) in atomics, and count every
/// update.
public final class CountingMetricsFactory: MetricsFactory {
    private let updateCount = Atomic<Int>(0)
    private let handlerCount = Atomic<Int>(0)
    private let timed = Atomic<Int64>(0)

    public init() {}

    /// Values recorded so far, by every handler.
    public var updates: Int { updateCount.load(ordering: .relaxed) }

    /// Handlers made so far.
    public var handlers: Int { handlerCount.load(ordering: .relaxed) }

    /// The sum of every duration timers recorded.
    public var timedNanoseconds: Int64 { timed.load(ordering: .relaxed) }

    fileprivate func updated() { updateCount.add(1, ordering: .relaxed) }
    fileprivate func timed(_ nanoseconds: Int64) { timed.add(nanoseconds, ordering: .relaxed) }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { Handler(self) }
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { Handler(self) }
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { Handler(self) }
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, RecorderHandler, TimerHandler {
        private let factory: CountingMetricsFactory
        private let value = Atomic<Int64>(0)

        init(_ factory: CountingMetricsFactory) {
            self.factory = factory
            factory.handlerCount.add(1, ordering: .relaxed)
        }

        func increment(by amount: Int64) {
            value.add(amount, ordering: .relaxed)
            factory.updated()
        }
        func reset() { value.store(0, ordering: .relaxed) }
        func record(_ value: Int64) {
            self.value.store(value, ordering: .relaxed)
            factory.updated()
        }
        func record(_ value: Double) {
            self.value.store(Int64(value.bitPattern), ordering: .relaxed)
            factory.updated()
        }
        func recordNanoseconds(_ duration: Int64) {
            record(duration)
            factory.timed(duration)
        }
    }
}
