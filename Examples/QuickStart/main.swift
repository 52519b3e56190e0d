// Sends 100 000 records through KafkaKit's public API, waits for every delivery report and
// prints how many were delivered, how many failed, and the rate.
//
//   swift run QuickStart [COUNT]     (KAFKA_BOOTSTRAP_SERVERS, default 127.0.0.1:19092)
import Foundation
import KafkaKit
import Logging

let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 100_000
let servers = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"] ?? "127.0.0.1:19092"
let topic = "quickstart-\(UUID().uuidString.lowercased())"

var logger = Logger(label: "QuickStart")
logger.logLevel = .warning

var configuration = KafkaConfiguration(bootstrapServers: servers.split(separator: ",").map(String.init))
configuration.clientID = "kafkakit-quickstart"
configuration.linger = .milliseconds(5)
configuration.messageTimeout = .seconds(30)

let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration, logger: logger)
print("QuickStart: sending \(count) records to \(topic) on \(servers)")
let start = ContinuousClock.now

// Count reports as they come, until every message has one.
let reader = Task {
    var delivered = 0
    var failed: [KafkaError.Code: Int] = [:]
    for await event in events {
        switch event {
        case .deliveryReports(let reports):
            for report in reports {
                if let error = report.error { failed[error.code, default: 0] += 1 } else { delivered += 1 }
            }
            if delivered + failed.values.reduce(0, +) == count { return (delivered, failed) }
        case .error(let error):
            print("QuickStart: client error: \(error)")
        case .statistics:
            break
        }
    }
    return (delivered, failed)
}

var notQueued = 0
for i in 0..<count {
    let record = KafkaProducerRecord(topic: topic, key: "key-\(i % 1000)", value: "message \(i) from KafkaKit's QuickStart")
    do {
        _ = try await producer.send(record)
    } catch {
        notQueued += 1
        if notQueued == 1 { print("QuickStart: not queued: \(error)") }
    }
}
let queued = count - notQueued
let (delivered, failed) = queued == 0 ? (0, [:]) : await reader.value
let elapsed = ContinuousClock.now - start
await producer.shutdown()

let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let failedTotal = failed.values.reduce(0, +) + notQueued
print("QuickStart: delivered=\(delivered) failed=\(failedTotal) in \(String(format: "%.2f", seconds)) s "
    + "(\(Int(Double(delivered) / seconds)) msg/s)")
for (code, n) in failed.sorted(by: { $0.value > $1.value }) { print("QuickStart:   \(n) × \(code.name): \(code.explanation)") }
exit(failedTotal == 0 ? 0 : 1)
