// The Swift side of `make bench` (scripts/bench runs it beside Benchmarks/CBaseline).
//
//   ProducerBenchmark throughput BROKERS TOPIC COUNT SIZE   fire-and-forget, reports read from
//                                                           the KafkaProducerEvents sequence
//   ProducerBenchmark handler BROKERS TOPIC COUNT SIZE      fire-and-forget, reports counted in an
//                                                           event handler (C's dr_msg_cb model)
//   ProducerBenchmark publish BROKERS TOPIC COUNT SIZE      KafkaEventPublisher: publish to a broker
//                                                           ID with a report handler per message
//   ProducerBenchmark concurrent BROKERS TOPIC COUNT TASKS  sendAndWait from TASKS concurrent tasks
//   ProducerBenchmark latency    BROKERS TOPIC COUNT        sendAndWait one at a time, linger.ms=0
//
// Each prints one line: mode=... msgs=... [delivered= failed= seconds= msgs_per_s= | p50_us= p99_us=]
// cpu_user_us=... cpu_sys_us=... peak_rss_kb=...
// The CPU times are getrusage(RUSAGE_SELF) (every thread, librdkafka's included) over the measured
// phase only, the span the clock times (warm-up, producer set-up and shutdown excluded), as in
// Benchmarks/CBaseline/producer_bench.c; peak_rss_kb is ru_maxrss of the whole run.
//
// BENCH_TRACING=off|context|spans (default off): KafkaKit's tracing in the throughput and
// handler modes (see BenchTracer.swift); the result line says which (tracing=...).
// With BENCH_METRICS=1, the producer's metrics are on (see Benchmarks/BenchmarkMetrics) and the
// throughput modes' lines end with metrics_updates=N.
import BenchmarkMetrics
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import KafkaKit
import KafkaKitConnections
import KafkaKitEvents

func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: ProducerBenchmark throughput BROKERS TOPIC COUNT SIZE
               ProducerBenchmark handler BROKERS TOPIC COUNT SIZE
               ProducerBenchmark publish BROKERS TOPIC COUNT SIZE
               ProducerBenchmark concurrent BROKERS TOPIC COUNT TASKS
               ProducerBenchmark latency BROKERS TOPIC COUNT

        """.utf8))
    exit(2)
}

func peakRSSKilobytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

/// CPU time the process (every thread) has used so far, in microseconds.
struct CPUTime {
    var user: Int
    var system: Int

    static func now() -> CPUTime {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return CPUTime(
            user: usage.ru_utime.tv_sec * 1_000_000 + usage.ru_utime.tv_usec,
            system: usage.ru_stime.tv_sec * 1_000_000 + usage.ru_stime.tv_usec)
    }

    /// The result-line fields for the span from `start` to `self`.
    func fields(since start: CPUTime) -> String {
        "cpu_user_us=\(user - start.user) cpu_sys_us=\(system - start.system)"
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The send loop, nonisolated: off the main actor, no executor check after each `await` (the
/// pattern KafkaKit's documentation recommends for hot loops).
func sendAll(_ producer: KafkaProducer, _ record: KafkaProducerRecord, count: Int) async throws {
    for _ in 0..<count {
        _ = try await producer.send(record)
    }
}

/// Report counts, and a way to wait until `target` reports have arrived. Atomic counters, so
/// counting costs no lock; only the report that completes the target takes one.
final class Counts: Sendable {
    let target: Int
    private let done = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)

    init(target: Int) { self.target = target }

    func add(delivered: Int, failed: Int) {
        if failed > 0 { failedCount.add(failed, ordering: .relaxed) }
        let added = delivered + failed
        let after = done.add(added, ordering: .acquiringAndReleasing).newValue
        guard after >= target, after - added < target else { return }
        waiter.withLock { $0.take() }?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = waiter.withLock { waiting -> Bool in
                if done.load(ordering: .acquiring) >= target { return true }
                waiting = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    var totals: (delivered: Int, failed: Int) {
        let failed = failedCount.load(ordering: .relaxed)
        return (done.load(ordering: .relaxed) - failed, failed)
    }
}

/// Prints a run's result line, then exits with its status. `cpu` is the measured phase's span.
func finish(_ mode: String, count: Int, delivered: Int, failed: Int, elapsed: Double, cpu: (start: CPUTime, end: CPUTime)) -> Never {
    print("mode=\(mode) tracing=\(BenchTracing.current.rawValue) msgs=\(count) delivered=\(delivered) failed=\(failed) seconds=\(String(format: "%.3f", elapsed)) "
        + "msgs_per_s=\(Int(Double(count) / elapsed)) \(cpu.end.fields(since: cpu.start)) peak_rss_kb=\(peakRSSKilobytes())"
        + BenchmarkMetrics.resultField)
    exit(failed == 0 ? 0 : 1)
}

/// The publish loop, nonisolated like `sendAll`.
func publishAll(_ publisher: KafkaEventPublisher, _ payload: [UInt8], count: Int, report: @escaping KafkaEventPublisher.ReportHandler) async throws {
    for _ in 0..<count {
        try await publisher.publishWaitingForQueueSpace(broker: "bench", message: payload, report: report)
    }
}

let args = CommandLine.arguments
guard args.count >= 5, let count = Int(args[4]), count > 0 else { usage() }
let mode = args[1]
let brokers = args[2]
let topic = args[3]

var configuration = KafkaConfiguration(bootstrapServers: [brokers])
configuration["log_level"] = "3"
if let max = ProcessInfo.processInfo.environment["BENCH_QUEUE_MAX"] { configuration["queue.buffering.max.messages"] = max }
if let capacity = ProcessInfo.processInfo.environment["BENCH_EVENT_CAPACITY"].flatMap(Int.init) { configuration.eventBufferCapacity = capacity }
configuration.tracing = BenchTracing.current.options
BenchmarkMetrics.apply(to: &configuration)

switch mode {
case "throughput":
    guard args.count == 6, let size = Int(args[5]), size >= 0 else { usage() }
    let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
    let payload = [UInt8](repeating: 0x61, count: size)
    let record = KafkaProducerRecord(topic: topic, value: payload)
    let reports = Task {
        var delivered = 0
        var failed = 0
        for await event in events {
            guard case .deliveryReports(let batch) = event else { continue }
            for report in batch {
                if report.isDelivered { delivered += 1 } else { failed += 1 }
            }
            if delivered + failed == count { break }
        }
        return (delivered, failed)
    }
    let cpuStart = CPUTime.now()
    let start = ContinuousClock.now
    try await BenchTracing.current.run { try await sendAll(producer, record, count: count) }
    let (delivered, failed) = await reports.value
    let elapsed = seconds(ContinuousClock.now - start)
    let cpuEnd = CPUTime.now()
    await producer.shutdown()
    finish("throughput", count: count, delivered: delivered, failed: failed, elapsed: elapsed, cpu: (cpuStart, cpuEnd))

case "handler":
    guard args.count == 6, let size = Int(args[5]), size >= 0 else { usage() }
    let counts = Counts(target: count)
    let producer = try KafkaProducer(configuration: configuration) { event in
        guard case .deliveryReports(let batch) = event else { return }
        var failed = 0
        for report in batch where !report.isDelivered { failed += 1 }
        counts.add(delivered: batch.count - failed, failed: failed)
    }
    let record = KafkaProducerRecord(topic: topic, value: [UInt8](repeating: 0x61, count: size))
    let cpuStart = CPUTime.now()
    let start = ContinuousClock.now
    try await BenchTracing.current.run { try await sendAll(producer, record, count: count) }
    await counts.wait()
    let elapsed = seconds(ContinuousClock.now - start)
    let cpuEnd = CPUTime.now()
    await producer.shutdown()
    finish("handler", count: count, delivered: counts.totals.delivered, failed: counts.totals.failed, elapsed: elapsed,
           cpu: (cpuStart, cpuEnd))

case "publish":
    guard args.count == 6, let size = Int(args[5]), size >= 0 else { usage() }
    let socket = KafkaSocket(brokers: [brokers], topic: topic, properties: configuration.properties.sorted { $0.key < $1.key }.map {
        KafkaSocket.Property(scope: .global, name: $0.key, value: $0.value)
    })
    let publisher = try KafkaEventPublisher(brokers: [KafkaBrokerSpec(id: "bench", socket: socket)])
    let counts = Counts(target: count)
    let payload = [UInt8](repeating: 0x61, count: size)
    let cpuStart = CPUTime.now()
    let start = ContinuousClock.now
    try await publishAll(publisher, payload, count: count) { report in
        counts.add(delivered: report.isDelivered ? 1 : 0, failed: report.isDelivered ? 0 : 1)
    }
    await counts.wait()
    let elapsed = seconds(ContinuousClock.now - start)
    let cpuEnd = CPUTime.now()
    await publisher.shutdown()
    finish("publish", count: count, delivered: counts.totals.delivered, failed: counts.totals.failed, elapsed: elapsed,
           cpu: (cpuStart, cpuEnd))

case "concurrent":
    guard args.count == 6, let tasks = Int(args[5]), tasks > 0 else { usage() }
    let producer = try KafkaProducer(configuration: configuration)
    let record = KafkaProducerRecord(topic: topic, value: [UInt8](repeating: 0x61, count: 100))
    _ = try await producer.sendAndWait(record)  // metadata and connection set-up excluded
    let cpuStart = CPUTime.now()
    let start = ContinuousClock.now
    let (delivered, failed) = await withTaskGroup(of: (Int, Int).self) { group in
        for task in 0..<tasks {
            let share = count / tasks + (task < count % tasks ? 1 : 0)
            group.addTask {
                var delivered = 0
                var failed = 0
                for _ in 0..<share {
                    do {
                        _ = try await producer.sendAndWait(record)
                        delivered += 1
                    } catch {
                        failed += 1
                    }
                }
                return (delivered, failed)
            }
        }
        var total = (0, 0)
        for await (delivered, failed) in group {
            total.0 += delivered
            total.1 += failed
        }
        return total
    }
    let elapsed = seconds(ContinuousClock.now - start)
    let cpuEnd = CPUTime.now()
    await producer.shutdown()
    finish("concurrent", count: count, delivered: delivered, failed: failed, elapsed: elapsed, cpu: (cpuStart, cpuEnd))

case "latency":
    configuration.linger = .zero
    let producer = try KafkaProducer(configuration: configuration)
    let record = KafkaProducerRecord(topic: topic, value: [UInt8](repeating: 0x61, count: 100))
    _ = try await producer.sendAndWait(record)
    var latencies: [Int] = []
    latencies.reserveCapacity(count)
    let clock = ContinuousClock()
    let cpuStart = CPUTime.now()
    for _ in 0..<count {
        let start = clock.now
        _ = try await producer.sendAndWait(record)
        let elapsed = clock.now - start
        latencies.append(Int(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000))
    }
    let cpuEnd = CPUTime.now()
    await producer.shutdown()
    latencies.sort()
    let p50 = latencies[latencies.count / 2]
    let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
    print("mode=latency msgs=\(count) p50_us=\(p50) p99_us=\(p99) \(cpuEnd.fields(since: cpuStart)) peak_rss_kb=\(peakRSSKilobytes())")

default:
    usage()
}
