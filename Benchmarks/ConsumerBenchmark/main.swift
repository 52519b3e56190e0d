// The Swift side of the consumer part of `make bench` (scripts/bench runs it beside
// Benchmarks/CBaseline/consumer_bench).
//
//   ConsumerBenchmark BROKERS TOPIC COUNT
//
// With BENCH_METRICS=1, the consumer's metrics are on (see Benchmarks/BenchmarkMetrics) and the
// line ends with metrics_updates=N.
//
// Reads COUNT records of TOPIC from the beginning of every partition with KafkaConsumer's
// `messages` AsyncSequence in a plain `for await` loop inside a nonisolated async function (the
// pattern KafkaConsumer's documentation recommends over a loop in main-actor top-level code),
// touching every payload. Prints one line:
//   mode=consume msgs=N bytes=N seconds=S msgs_per_s=N cpu_user_us=N cpu_sys_us=N peak_rss_kb=N
// The clock runs from the first record received to the COUNT-th; the CPU times
// (getrusage(RUSAGE_SELF), every thread) cover the same span, as in
// Benchmarks/CBaseline/consumer_bench.c; peak_rss_kb is ru_maxrss of the whole run.

import BenchmarkMetrics
import Foundation
import KafkaKit
#if canImport(Glibc)
import Glibc
#endif

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: ConsumerBenchmark BROKERS TOPIC COUNT\n".utf8))
    exit(2)
}

let args = CommandLine.arguments
guard args.count == 4, let count = Int(args[3]), count > 0 else { usage() }
let (brokers, topic) = (args[1], args[2])

var configuration = KafkaConfiguration(bootstrapServers: [brokers])
configuration["group.id"] = "bench-swift-\(getpid())-\(Int(Date().timeIntervalSince1970))"
configuration["enable.auto.commit"] = "false"
configuration["auto.offset.reset"] = "earliest"
configuration["log_level"] = "3"
BenchmarkMetrics.apply(to: &configuration)

let consumer = try KafkaConsumer(configuration: configuration)
let metadata = try await KafkaMetadata.fetch(configuration: KafkaConfiguration(bootstrapServers: [brokers]), topic: topic)
guard let partitions = metadata.topics.first?.partitions, !partitions.isEmpty else {
    FileHandle.standardError.write(Data("ConsumerBenchmark: topic \(topic) has no partitions\n".utf8))
    exit(1)
}
try consumer.assign(partitions.map { KafkaTopicPartition(topic: topic, partition: $0.id, offset: KafkaOffset.beginning) })

/// CPU time the process (every thread) has used so far, in microseconds.
func cpuMicroseconds() -> (user: Int, system: Int) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (usage.ru_utime.tv_sec * 1_000_000 + usage.ru_utime.tv_usec,
            usage.ru_stime.tv_sec * 1_000_000 + usage.ru_stime.tv_usec)
}

/// Nonisolated: the loop runs on the cooperative pool, with no main-actor executor check per message.
func readAll(_ consumer: KafkaConsumer, count: Int) async
    -> (read: Int, bytes: Int, elapsed: Duration, cpu: (user: Int, system: Int))
{
    var read = 0
    var bytes = 0
    var start = ContinuousClock.now
    var cpuStart = cpuMicroseconds()
    for await message in consumer.messages {
        if read == 0 {
            start = .now
            cpuStart = cpuMicroseconds()
        }
        bytes += message.withUnsafeValue { $0?.count ?? 0 }
        read += 1
        if read == count { break }
    }
    let elapsed = ContinuousClock.now - start
    let cpuEnd = cpuMicroseconds()
    return (read, bytes, elapsed, (cpuEnd.user - cpuStart.user, cpuEnd.system - cpuStart.system))
}
let (read, bytes, elapsed, cpu) = await readAll(consumer, count: count)
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
await consumer.close()

var resources = rusage()
getrusage(RUSAGE_SELF.rawValue, &resources)
print("mode=consume msgs=\(read) bytes=\(bytes) seconds=\(String(format: "%.3f", seconds)) "
    + "msgs_per_s=\(Int(Double(read) / seconds)) cpu_user_us=\(cpu.user) cpu_sys_us=\(cpu.system) "
    + "peak_rss_kb=\(resources.ru_maxrss)\(BenchmarkMetrics.resultField)")
