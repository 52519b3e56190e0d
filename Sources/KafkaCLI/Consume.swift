import ArgumentParser
import Foundation
import KafkaKit
import Synchronization
import _KafkaKitCLISupport

/// `kafka consume`: values one per line, a kcat format string, or JSON objects.
struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consume records and print them.",
        discussion: """
            Without --group, reads every partition (or --partition) from --from without joining a \
            group. With --group, joins it and commits as it goes, only what it printed: an offset \
            is stored once its record was written out (enable.auto.offset.store=false), and \
            committed by auto-commit and on exit (at least once: a record may be printed again, \
            never skipped). --from beginning|end then says where to start when the group has no \
            committed offset.

            Output: each record's value and a newline (--null TEXT for a null value), or \
            --format (kcat's -f tokens: %t topic, %p partition, %o offset, %k key, %K key length, \
            %s value, %S value length (-1 for null), %R value length as 4 big-endian bytes, \
            %T timestamp (ms), %h headers as name=value,..., %% a percent sign; escapes \\n \\t \
            \\r \\0 \\\\ \\xNN), or --json: {"topic","partition","offset","timestamp","key",\
            "value","headers":[{"key","value"}]} per line, a key or value that is not UTF-8 written \
            base64 as key_base64/value_base64 (kafka produce --json reads it back), or -J: kcat's \
            envelope {"topic","partition","offset","tstype","ts","broker","headers":[name,value,...],\
            "key","payload"} (bytes that are not UTF-8 as U+FFFD).

            Time: --from s@MS starts each partition at its first record at or after MS \
            (milliseconds since the epoch; @-1h, @-30m, @-1h30m: that long ago), as the broker's \
            lookup by time answers (Tansu answers offset 0: from the beginning); --until e@MS \
            (or @MS, @-DURATION) stops each partition before its first record at or after that \
            time and ends once every partition has stopped (or is at its end, with --exit-at-end).

            On a terminal, or with --unbuffered, each record is written at once; to a pipe or \
            file in large writes, made whenever no more records are ready, so a record is \
            printed as soon as it arrives when following a topic.

            --exit-at-end works in a group too: it ends once every partition assigned to this \
            member has reached its end (as the end was when reached), after committing what was \
            printed.

            SIGINT (Ctrl-C) or SIGTERM stops reading: every record already taken is printed, the \
            consumer is closed (committing, in a group, what was printed), and the command exits \
            0. A second signal exits at once.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: [.customShort("t"), .long], help: "The topic.") var topic: String
    // Unconditional: "--partition -2" is a bad partition, not a missing value.
    @Option(name: [.customShort("p"), .long], parsing: .unconditional, help: "Only this partition.") var partition: Int32?
    @Option(
        name: [.customShort("o"), .long], parsing: .unconditional,
        help: ArgumentHelp("Where to start: beginning, end, stored, OFFSET, -N (N before the end), s@MS or @-DURATION (a time).", valueName: "position"))
    var from: String = "beginning"
    @Option(parsing: .unconditional, help: ArgumentHelp("Stop each partition before its first record at or after this time: e@MS, @MS or @-DURATION.", valueName: "time"))
    var until: String?
    @Option(name: [.customShort("G"), .long], help: "Consume as a member of this group.") var group: String?
    @Option(name: [.customShort("c"), .long], parsing: .unconditional, help: "Stop after this many records.") var count: Int?
    @Flag(name: [.customShort("e"), .customLong("exit-at-end")], help: "Stop once every partition's end is reached (also in a group).") var exitAtEnd = false
    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("Print each record by this kcat-style format (see below).", valueName: "format"))
    var format: String?
    @Flag(help: "One JSON object per record (the shape produce --json reads).") var json = false
    @Flag(name: [.customShort("J"), .customLong("kcat-json")], help: "One JSON object per record in kcat's -J envelope.") var kcatJSON = false
    @Option(help: ArgumentHelp("Print this for a null key or value (plain and --format output; default: nothing).", valueName: "text"))
    var null: String?
    @Flag(name: .customShort("Z"), help: "Print NULL for a null key or value (as --null NULL).") var nullWord = false
    @Flag(name: [.customShort("u"), .long], help: "Write each record out at once (no output buffering).") var unbuffered = false

    /// Where each partition starts: an offset (or logical offset), or a time to look up.
    enum Start {
        case offset(Int64)
        case time(Int64)
    }

    func start(now: Int64) throws -> Start {
        switch from {
        case "beginning": return .offset(KafkaOffset.beginning.rawValue)
        case "end": return .offset(KafkaOffset.end.rawValue)
        case "stored": return .offset(KafkaOffset.stored.rawValue)
        default:
            if from.hasPrefix("e@") { throw ValidationError("--from takes a start; e@MS is a stop: use --until \(from)") }
            if KafkaTimeSpec.isTime(from) {
                switch KafkaTimeSpec.parse(from, prefix: "s", nowMilliseconds: now) {
                case .success(let ms): return .time(ms)
                case .failure(let message): throw ValidationError("bad --from: \(message)")
                }
            }
            guard let n = Int64(from) else {
                throw ValidationError("--from takes beginning, end, stored, OFFSET, -N, s@MS or @-DURATION, not '\(from)'")
            }
            return .offset(n < 0 ? KafkaOffset.tail(-n).rawValue : n)
        }
    }

    func untilTime(now: Int64) throws -> Int64? {
        guard let until else { return nil }
        if until.hasPrefix("s@") { throw ValidationError("--until takes a stop time: e@MS, @MS or @-DURATION (s@ is a start: --from)") }
        switch KafkaTimeSpec.parse(until, prefix: "e", nowMilliseconds: now) {
        case .success(let ms): return ms
        case .failure(let message): throw ValidationError("bad --until: \(message)")
        }
    }

    func outputMode() throws -> RecordFormatter.Mode {
        let chosen = [format != nil, json, kcatJSON].filter { $0 }.count
        if chosen > 1 { throw ValidationError("choose one of --format, --json and -J (--kcat-json)") }
        if let format {
            do {
                return .format(try KafkaOutputFormat(format))
            } catch {
                throw ValidationError("bad --format: \(error.message) (at position \(error.position))\n  \(format)\n  \(String(repeating: " ", count: max(0, error.position - 1)))^")
            }
        }
        return json ? .json : kcatJSON ? .kcatJSON : .values
    }

    func validate() throws {
        try validateTopicName(topic)
        let now = Self.nowMilliseconds()
        let start = try start(now: now)
        _ = try untilTime(now: now)
        _ = try outputMode()
        if let count, count <= 0 { throw ValidationError("--count must be 1 or more") }
        if let partition, partition < 0 { throw ValidationError("--partition must be 0 or more") }
        if group?.isEmpty == true { throw ValidationError("--group must not be empty") }
        if group != nil, partition != nil { throw ValidationError("--partition cannot be used with --group (the group assigns partitions)") }
        if group != nil, !["beginning", "end", "stored"].contains(from) {
            if case .time = start { throw ValidationError("with --group, --from is beginning or end (a start time needs partitions of its own: leave out --group)") }
            throw ValidationError("with --group, --from is beginning or end")
        }
        if group == nil, from == "stored" { throw ValidationError("--from stored needs --group") }
        if null != nil, nullWord { throw ValidationError("use either --null TEXT or -Z, not both") }
        if null != nil || nullWord, json || kcatJSON { throw ValidationError("--null and -Z apply to plain and --format output; JSON writes null") }
    }

    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    func run() async throws {
        let stop = StopSignals()
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
            let consumer = try KafkaConsumer(configuration: configuration, logger: connection.logger)
            let written: (records: Int, outputClosed: Bool)
            do {
                written = try await consume(consumer, stop: stop)
            } catch {
                await consumer.close()
                throw error
            }
            // Commits (in a group) what was stored: what was printed.
            await consumer.close()
            if let count, written.records < count, stop.signal == nil, !written.outputClosed {
                printError("kafka consume: \(written.records) of \(count) records before the end")
            }
        }
    }

    /// Subscribes or assigns, then prints until the count, the end, a signal or a failure.
    private func consume(_ consumer: KafkaConsumer, stop: StopSignals) async throws -> (records: Int, outputClosed: Bool) {
        let now = Self.nowMilliseconds()
        let until = try untilTime(now: now)
        let ends = ConsumeEnds(exitAtEnd: exitAtEnd)
        var partitions: [Int32] = []
        if group != nil {
            try consumer.subscribe(topics: [topic])
        } else {
            // Asked of an admin client: its failure names the cause (a certificate that failed
            // verification, a failed authentication), where the consumer's says "transport failure".
            let metadata = try await KafkaAdminClient(configuration: connection.configuration(), logger: connection.logger).metadata(topic: topic)
            guard let found = metadata.topic(topic), found.error == nil, !found.partitions.isEmpty else {
                throw CLIFailure.kafka("topic \(topic) does not exist")
            }
            partitions = partition.map { [$0] } ?? found.partitions.map(\.id)
            if let partition, !found.partitions.contains(where: { $0.id == partition }) {
                throw CLIFailure.kafka("topic \(topic) has no partition \(partition) (it has \(found.partitions.count))")
            }
            switch try start(now: now) {
            case .offset(let offset):
                try consumer.assign(partitions.map { KafkaTopicPartition(topic: topic, partition: $0, offset: offset) })
            case .time(let ms):
                // -1 (no record that late) is the end, as librdkafka reads it.
                let found = try await consumer.offsets(atTimestamp: ms, topic: topic, partitions: partitions)
                try consumer.assign(found)
            }
            _ = ends.assigned(partitions)
        }

        let printer = RecordPrinter(
            consumer: consumer, topic: topic, formatter: RecordFormatter(mode: try outputMode(), topic: topic, null: nullText),
            count: count, until: until, ends: ends, storesOffsets: group != nil, unbuffered: unbuffered)
        // End of partition: with a group the assignment arrives as an event. The iterator is
        // made here, before any record is taken: events are kept only once it exists.
        let events = consumer.events.makeAsyncIterator()
        let watcher = Task {
            var events = events
            while let event = await events.next() {
                switch event {
                case .partitionsAssigned(let list):
                    if ends.assigned(list.map(\.partition)) { printer.reachedEnd() }
                case .partitionsRevoked(let list), .partitionsLost(let list):
                    if ends.revoked(list.map(\.partition)) { printer.reachedEnd() }
                case .partitionEOF(let p):
                    if ends.reachedEnd(p.partition) { printer.reachedEnd() }
                case .error(let error): printError("kafka: \(error)")
                default: break
                }
            }
        }
        defer { watcher.cancel() }
        let printed = await printer.run(stop: stop)
        if let failure = printed.failure { throw CLIFailure.kafka(failure) }
        return (printed.written, printed.outputClosed)
    }

    private var nullText: [UInt8] {
        if nullWord { return Array("NULL".utf8) }
        return null.map { Array($0.utf8) } ?? []
    }
}
