import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// At-least-once with default settings, proven the hard way: a consumer process killed with
/// SIGKILL at random points of a 100 000-record stream and started again each time processes
/// every record at least once.
@Suite("Consumer at-least-once under SIGKILL", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct ConsumerAtLeastOnceTests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("KafkaKitTestConsumer")
    }

    struct Record: Hashable {
        var partition: Int32
        var offset: Int64
    }

    /// Runs one consumer process; kills it once it has printed `killAfter` lines (or, with
    /// `nil`, once `done` says so), then reads what it printed before dying.
    static func runConsumer(topic: String, group: String, killAfter: Int?, done: (Set<Record>) -> Bool, seen: inout Set<Record>, duplicates: inout Int) throws -> Int {
        let process = Process()
        process.executableURL = binary
        process.arguments = [try TestBroker.servers(), topic, group]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer { watchdog.cancel() }
        let reader = out.fileHandleForReading
        var pending = Data()
        var lines = 0
        var killed = false
        func take(_ data: Data) {
            pending.append(data)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                let parts = line.split(separator: " ")
                guard parts.count == 2, let p = Int32(parts[0]), let o = Int64(parts[1]) else { continue }
                if !seen.insert(Record(partition: p, offset: o)).inserted { duplicates += 1 }
                lines += 1
            }
        }
        while true {
            let data = reader.availableData
            if data.isEmpty { break }  // the process ended (killed, or the watchdog)
            let before = lines
            take(data)
            // Read at most ~50 000 records a second, so that commits happen within a run.
            usleep(UInt32(lines - before) * 20)
            if !killed, killAfter.map({ lines >= $0 }) ?? done(seen) {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        return lines
    }

    @Test("SIGKILL at random points of 100 000 records, restarted each time: every record processed")
    func killedAndRestarted() async throws {
        let total = 100_000
        let partitions: Int32 = 4
        let topic = TestBroker.freshTopic("alo")
        let group = "g-\(UUID().uuidString)"
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: partitions)])
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        let drained = Task {
            var failed = 0
            for await case .deliveryReports(let reports) in events { failed += reports.filter { $0.error != nil }.count }
            return failed
        }
        for i in 0..<total {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, key: "k\(i)", value: "v\(i)"))
        }
        await producer.shutdown()
        #expect(await drained.value == 0)

        var seen = Set<Record>()
        var duplicates = 0
        var generator = SystemRandomNumberGenerator()
        var kills: [Int] = []
        for _ in 0..<6 {
            let killAfter = Int.random(in: 1...12_000, using: &generator)
            kills.append(killAfter)
            _ = try Self.runConsumer(topic: topic, group: group, killAfter: killAfter, done: { _ in false }, seen: &seen, duplicates: &duplicates)
        }
        _ = try Self.runConsumer(topic: topic, group: group, killAfter: nil, done: { $0.count >= total }, seen: &seen, duplicates: &duplicates)
        print("at-least-once: \(total) records, kills after \(kills) lines, \(duplicates) duplicates")
        #expect(seen.count == total, "processed \(seen.count) of \(total) distinct records after kills at \(kills)")
        for p in 0..<partitions {
            let offsets = seen.filter { $0.partition == p }.map(\.offset).sorted()
            if let last = offsets.last { #expect(offsets.count == Int(last) + 1, "a gap in partition \(p)") }
        }
    }
}
