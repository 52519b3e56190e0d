import ArgumentParser
import Foundation
import KafkaKit
import Synchronization

/// `kafka consume`: values one per line, or JSON objects.
struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consume records and print them.",
        discussion: """
            Without --group, reads every partition (or --partition) from --from without joining a \
            group. With --group, joins it and commits as it goes, only what it printed: an offset \
            is stored once its record was written out (enable.auto.offset.store=false), and \
            committed by auto-commit and on exit (at least once: a record may be printed again, \
            never skipped). --from beginning|end then says where to start when the group has no \
            committed offset. \
            --json prints {"topic","partition","offset","timestamp","key","value","headers"} per \
            line; a key or value that is not UTF-8 is written base64 as key_base64/value_base64.

            Output: on a terminal each record is written at once; to a pipe or file in large \
            writes, made whenever no more records are ready, so a record is printed as soon as it \
            arrives when following a topic.

            SIGINT (Ctrl-C) or SIGTERM stops reading: every record already taken is printed, the \
            consumer is closed (committing what was printed), then the command ends by that \
            signal (exit status 130 or 143). A second signal exits at once.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The topic.") var topic: String
    // Unconditional: "--partition -2" is a bad partition, not a missing value.
    @Option(parsing: .unconditional, help: "Only this partition.") var partition: Int32?
    @Option(parsing: .unconditional, help: "beginning, end, stored, OFFSET, or -N (N before the end).") var from: String = "beginning"
    @Option(help: "Consume as a member of this group.") var group: String?
    @Option(parsing: .unconditional, help: "Stop after this many records.") var count: Int?
    @Flag(name: .customLong("exit-at-end"), help: "Stop once every partition's end is reached.") var exitAtEnd = false
    @Flag(help: "One JSON object per record.") var json = false

    func startOffset() throws -> Int64 {
        switch from {
        case "beginning": return KafkaOffset.beginning.rawValue
        case "end": return KafkaOffset.end.rawValue
        case "stored": return KafkaOffset.stored.rawValue
        default:
            guard let n = Int64(from) else { throw ValidationError("--from takes beginning, end, stored, OFFSET or -N, not '\(from)'") }
            return n < 0 ? KafkaOffset.tail(-n).rawValue : n
        }
    }

    func validate() throws {
        try validateTopicName(topic)
        _ = try startOffset()
        if let count, count <= 0 { throw ValidationError("--count must be 1 or more") }
        if let partition, partition < 0 { throw ValidationError("--partition must be 0 or more") }
        if group?.isEmpty == true { throw ValidationError("--group must not be empty") }
        if group != nil, partition != nil { throw ValidationError("--partition cannot be used with --group (the group assigns partitions)") }
        if group != nil, !["beginning", "end", "stored"].contains(from) { throw ValidationError("with --group, --from is beginning or end") }
        if group == nil, from == "stored" { throw ValidationError("--from stored needs --group") }
    }

    func run() async throws {
        let stop = StopSignals()
        defer { stop.endIfSignalled() }
        try await reportingFailures {
            var configuration = try connection.configuration()
            configuration["group.id"] = group ?? "kafka-cli-\(UUID().uuidString)"
            if group == nil {
                configuration["enable.auto.commit"] = "false"
            } else {
                // The printer stores each offset once its record was written out.
                configuration["enable.auto.offset.store"] = "false"
            }
            configuration["auto.offset.reset"] = from == "end" ? "latest" : "earliest"
            if exitAtEnd { configuration["enable.partition.eof"] = "true" }
            let consumer = try KafkaConsumer(configuration: configuration)
            let written: Int
            do {
                written = try await consume(consumer, stop: stop)
            } catch {
                await consumer.close()
                throw error
            }
            // Commits (in a group) what was stored: what was printed.
            await consumer.close()
            if let count, written < count, stop.signal == nil { printError("kafka consume: \(written) of \(count) records before the end") }
        }
    }

    /// Subscribes or assigns, then prints until the count, the end, a signal or a failure.
    private func consume(_ consumer: KafkaConsumer, stop: StopSignals) async throws -> Int {
        var partitions: [Int32] = []
        if group != nil {
            try consumer.subscribe(topics: [topic])
        } else {
            // Asked of an admin client: its failure names the cause (a certificate that failed
            // verification, a failed authentication), where the consumer's says "transport failure".
            let metadata = try await KafkaAdminClient(configuration: connection.configuration()).metadata(topic: topic)
            guard let found = metadata.topic(topic), found.error == nil, !found.partitions.isEmpty else {
                throw CLIFailure.kafka("topic \(topic) does not exist")
            }
            partitions = partition.map { [$0] } ?? found.partitions.map(\.id)
            if let partition, !found.partitions.contains(where: { $0.id == partition }) {
                throw CLIFailure.kafka("topic \(topic) has no partition \(partition) (it has \(found.partitions.count))")
            }
            let offset = try startOffset()
            try consumer.assign(partitions.map { KafkaTopicPartition(topic: topic, partition: $0, offset: offset) })
        }

        let printer = RecordPrinter(consumer: consumer, topic: topic, json: json, count: count, storesOffsets: group != nil)
        // End of partition: with a group the assignment arrives as an event. The iterator is
        // made here, before any record is taken: events are kept only once it exists.
        let events = consumer.events.makeAsyncIterator()
        let watcher = Task { [partitions, exitAtEnd] in
            var assigned = Set(partitions)
            var ended = Set<Int32>()
            var events = events
            while let event = await events.next() {
                switch event {
                case .partitionsAssigned(let list): assigned.formUnion(list.map(\.partition))
                case .partitionEOF(let p):
                    ended.insert(p.partition)
                    if exitAtEnd, !assigned.isEmpty, ended.isSuperset(of: assigned) { printer.reachedEnd() }
                case .error(let error): printError("kafka: \(error)")
                default: break
                }
            }
        }
        defer { watcher.cancel() }
        let printed = await printer.run(stop: stop)
        if let failure = printed.failure { throw CLIFailure.kafka(failure) }
        return printed.written
    }
}
