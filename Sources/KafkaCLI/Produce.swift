import ArgumentParser
import Foundation
import KafkaKit
import Synchronization
import _KafkaKitCLISupport

/// `kafka produce`: records from standard input (one per line, or per delimiter), files (each
/// one record, or split with -l), or JSON lines.
struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce records read from standard input, files, or JSON lines.",
        discussion: """
            Standard input is split into records at --delimiter (a newline unless told). A file \
            argument is sent as one record, its whole content (kcat's default); with -l \
            (--lines), --delimiter, --key-delimiter or --header-delimiter it is split like \
            standard input. A record's key is the text before --key-delimiter, else --key; its \
            headers the text before --header-delimiter, as name=value pairs joined by ',' (a name \
            without '=' has a null value), plus every --header. Delimiters take the escapes \
            \\n \\t \\r \\0 \\\\ \\xNN and may be several bytes long.

            --json reads one JSON object per line, in the shape consume --json writes: \
            {"key"|"key_base64","value"|"value_base64","headers":[{"key","value"|"value_base64"}],\
            "partition","timestamp"}, each optional (absent means null; kcat's -J "payload", "ts" \
            and flat header arrays are read too; "topic" and "offset" are ignored). Each record \
            goes to its "partition" (unless --partition) with its "timestamp", so \
            consume --json | produce --json copies records exactly. A line that is not such an \
            object stops the reading with its line and column.

            Prints a progress line on a terminal, then a summary on stderr (sent, delivered, \
            failed); exits 1 if any record failed or was not sent. Waits for every record's \
            outcome, at most message.timeout.ms (librdkafka's default: 300 s).

            -T (--tee) writes each record, as read, to standard output once the broker \
            acknowledged it, in input order: what was written was delivered; a failed record is \
            not written.

            With -X transactional.id=ID the whole input is one transaction: begun before the \
            first record, committed at the end of the input if every record read was delivered, \
            else aborted — on SIGINT/SIGTERM, on an input that cannot be read to its end (a bad \
            JSON line, a missing file), or when a record is refused or not delivered (reading \
            then stops, and what was read and not sent is dropped). Consumers with \
            isolation.level=read_committed see all of the input or none of it. The summary ends \
            with 'transaction committed', 'transaction aborted (reason)' or, when the broker did \
            not answer in time, 'transaction neither committed nor aborted'; the exit status is 0 \
            only after a commit. Setting up waits up to 30 s, a commit or an abort up to 60 s; \
            after a signal, what is left of --stop-timeout (at least 1 s). With -T the records \
            are written once the transaction committed (held in memory until then). \
            message.timeout.ms is lowered to transaction.timeout.ms unless -X sets it (a \
            kafka.conf connection sets 300 s). The input must end within transaction.timeout.ms \
            (librdkafka's default: 60 s; the broker's transaction.max.timeout.ms bounds it), or \
            the coordinator aborts the transaction. A second signal exits at once and leaves the \
            transaction to that timeout.

            SIGINT (Ctrl-C) or SIGTERM stops reading the input: the records already read are \
            still sent and awaited for up to --stop-timeout seconds; those still in flight then \
            are purged and count as failed, and records read but not yet sent are dropped and \
            counted as failed. The summary is printed; the exit status is 0 if every record read \
            was delivered, else 1. A second signal exits at once, abandoning the records in \
            flight.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: [.customShort("t"), .long], help: "The topic.") var topic: String
    // Unconditional: "--partition -2" is a bad partition, not a missing value.
    @Option(name: [.customShort("p"), .long], parsing: .unconditional, help: "The partition (default: the partitioner decides, by key; with --json, each record's).")
    var partition: Int32?
    @Option(name: [.customShort("D"), .long], help: "Record delimiter (default \\n; escapes \\n \\t \\r \\0 \\\\ \\xNN; several bytes allowed).")
    var delimiter: String?
    @Option(name: [.customShort("K"), .customLong("key-delimiter")], help: "The text before its first occurrence in a record is the key.")
    var keyDelimiter: String?
    @Option(name: .customLong("header-delimiter"), help: ArgumentHelp("The text before its first occurrence in a record is its headers: name=value,... (then key, then value).", valueName: "delimiter"))
    var headerDelimiter: String?
    @Option(name: [.customShort("k"), .long], help: "The key of every record without a key of its own.") var key: String?
    @Option(name: [.customShort("H"), .customLong("header")], help: ArgumentHelp("A header on every record (repeatable).", valueName: "name=value"))
    var headers: [String] = []
    @Flag(name: [.customShort("l"), .long], help: "Split file arguments into records like standard input (default: each file is one record).")
    var lines = false
    @Flag(help: "Read JSON lines in consume --json's shape (key, value, headers, partition, timestamp; base64 fields).")
    var json = false
    @Flag(name: [.customShort("Z"), .customLong("tombstone"), .customLong("empty-as-null")], help: "Send an empty value as null (a tombstone) and an empty key as no key.")
    var emptyAsNull = false
    @Option(name: [.customShort("z"), .long], help: ArgumentHelp("Compression: none, gzip, snappy, lz4 or zstd (compression.codec).", valueName: "codec"))
    var compression: String?
    @Flag(name: [.customShort("T"), .long], help: "Write each record to standard output once it was delivered (in input order).")
    var tee = false
    @Option(name: [.customShort("c"), .long], parsing: .unconditional, help: "Stop after sending this many records.") var count: Int?
    @Option(name: .customLong("stop-timeout"), parsing: .unconditional, help: ArgumentHelp("After SIGINT or SIGTERM, wait this many seconds for the records in flight, then purge them.", valueName: "seconds"))
    var stopTimeout: Double = 10
    @Argument(help: "Files to read (default: standard input; - is standard input).") var files: [String] = []

    static let codecs = ["none", "gzip", "snappy", "lz4", "zstd"]

    func decoded(_ text: String?, _ option: String) throws -> [UInt8]? {
        guard let text else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try KafkaEscapes.decode(text)
        } catch {
            throw ValidationError("bad \(option): \(error)")
        }
        if bytes.isEmpty { throw ValidationError("\(option) must not be empty") }
        return bytes
    }

    func validate() throws {
        _ = try decoded(delimiter, "--delimiter")
        _ = try decoded(keyDelimiter, "--key-delimiter")
        _ = try decoded(headerDelimiter, "--header-delimiter")
        for header in headers where !header.contains("=") || header.hasPrefix("=") {
            throw ValidationError("--header takes name=value, not '\(header)'")
        }
        if let partition, partition < 0 { throw ValidationError("--partition must be 0 or more") }
        if let count, count <= 0 { throw ValidationError("--count must be 1 or more") }
        if let compression, !Self.codecs.contains(compression) {
            throw ValidationError("--compression takes \(Self.codecs.joined(separator: ", ")), not '\(compression)'")
        }
        if !(stopTimeout >= 0 && stopTimeout <= 86_400) { throw ValidationError("--stop-timeout is 0 to 86400 seconds") }
        if json {
            for (set, name) in [(keyDelimiter != nil, "--key-delimiter"), (headerDelimiter != nil, "--header-delimiter"), (key != nil, "--key"), (emptyAsNull, "-Z")] where set {
                throw ValidationError("\(name) cannot be used with --json (each JSON record says its key and value)")
            }
        }
        try validateTopicName(topic)
    }

    /// How file arguments are read.
    var splitsFiles: Bool { lines || json || delimiter != nil || keyDelimiter != nil || headerDelimiter != nil }

    func run() async throws {
        let stop = StopSignals()
        try await reportingFailures {
            let counts = DeliveryCounts()
            var configuration = try connection.configuration()
            let transactionalID = configuration["transactional.id"]
            let transactional = transactionalID != nil
            if transactional { try fitToTransaction(&configuration) }
            let teeOutput = tee ? TeeOutput(holdsUntilCommit: transactional) : nil
            configuration.queueFullPolicy = .wait(timeout: .seconds(60))
            if let compression { configuration["compression.codec"] = compression }
            // With delivery.report.only.error=true (set by the user: measured, it was not
            // faster — librdkafka's broker thread then frees each record the sending thread
            // allocated, and runs paid up to 0.6 s of system time in lock contention) every
            // record is still accounted for once the producer has flushed and shut down: one
            // that failed has its report, every other one was delivered.
            if tee, configuration["delivery.report.only.error"] == "true" {
                throw CLIFailure.configuration("-T writes a record once its delivery is reported: it cannot be used with delivery.report.only.error=true")
            }
            let reportsSuccess = configuration["delivery.report.only.error"] != "true"
            let producer = try KafkaProducer(configuration: configuration, logger: connection.logger) { event in
                switch event {
                case .deliveryReports(let reports):
                    teeOutput?.reported(reports)
                    counts.add(reports)
                    // A record not delivered dooms the transaction: stop reading.
                    if transactional, reports.contains(where: { !$0.isDelivered }) { stop.requestStop() }
                case .error(let error): printError("kafka: \(error)")
                case .statistics: break
                }
            }
            let fixedHeaders = headers.map { header -> KafkaHeader in
                let parts = header.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return KafkaHeader(key: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
            }
            var transaction = KafkaInputTransaction()
            if let transactionalID {
                do {
                    // Resumed a second at a time, so that a signal ends the wait.
                    let initDeadline = ContinuousClock.now + .seconds(30)
                    try await Self.resuming(until: { initDeadline }, stop: stop) { try await producer.initTransactions(timeout: $0) }
                    try producer.beginTransaction()
                } catch {
                    await producer.shutdown()
                    if let signal = stop.signal {
                        printError("kafka produce: \(StopSignals.name(signal)) before the transaction of transactional.id \(transactionalID) began: nothing was sent")
                        throw ExitCode(1)
                    }
                    let reason = (error as? KafkaError)?.code == .timedOut ? "its transaction coordinator did not answer within 30 s" : "\(error)"
                    throw CLIFailure.kafka("cannot begin the transaction of transactional.id \(transactionalID): \(reason)")
                }
            }
            let progress = Progress(label: "produce")
            let sender = RecordSender(
                producer: producer, topic: topic, partition: partition, fixedKey: key.map { Array($0.utf8) },
                fixedHeaders: fixedHeaders, emptyAsNull: emptyAsNull, tee: teeOutput, limit: count,
                progress: progress, counts: counts, reportsSuccess: reportsSuccess)
            if transactional { sender.stopsOnRefusal = stop }
            let input = InputOptions(
                delimiter: try decoded(delimiter, "--delimiter") ?? [10],
                keyDelimiter: try decoded(keyDelimiter, "--key-delimiter"),
                headerDelimiter: try decoded(headerDelimiter, "--header-delimiter"),
                json: json)
            let inputs = files.isEmpty ? ["-"] : files
            // The bound after a signal: at its end, whatever is still in flight is purged (each
            // purged record is reported as failed), even while the input is still being sent.
            let stopDeadline = Mutex<ContinuousClock.Instant?>(nil)
            let stopTimeout = self.stopTimeout
            let purgeNoticed = Mutex(false)
            // In a transaction, only while the records are sent and awaited: once it is being
            // committed or aborted, librdkafka's own calls finish it.
            let purgeable = Mutex(true)
            // Weak, as is the stop action's hold on `stop`: a stop action or a timer still
            // pending must not keep the producer (and its librdkafka client) past the command.
            let purgeInFlight: @Sendable () -> Void = { [weak producer] in
                guard let producer, purgeable.withLock({ $0 }), producer.outputQueueLength > 0 else { return }
                if purgeNoticed.withLock({ noticed in defer { noticed = true }; return !noticed }) {
                    printError("kafka produce: purging the records still in flight after \(Self.seconds(stopTimeout)) s (each counts as failed)")
                }
                producer.purge(includingInFlight: true)
            }
            stop.onStop { [weak stop] in
                guard let stop else { return }
                stopDeadline.withLock { $0 = .now + .milliseconds(Int64(stopTimeout * 1000)) }
                if transactional {
                    // The transaction is doomed (a signal, a record refused or failed): what was
                    // read and not sent is dropped, what is queued purged, and the abort follows.
                    stop.abandon()
                    purgeNoticed.withLock { $0 = true }
                    // Not on the caller's thread: a failed delivery's report handler may be it.
                    DispatchQueue.global().async { purgeInFlight() }
                    return
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + stopTimeout) { [weak stop] in
                    // Records read but not sent yet are dropped from now on: with the broker
                    // gone, each would wait for room in the queue again.
                    stop?.abandon()
                    purgeInFlight()
                }
            }
            // A read failure still lets what was queued be delivered and counted.
            var readFailure: (any Error)?
            // On the command's own thread: a send blocks there while librdkafka's queue is full.
            let thread = CommandThread()
            await withTaskExecutorPreference(thread) {
                for path in inputs where !stop.isStopRequested && readFailure == nil && !sender.reachedLimit {
                    do {
                        if path != "-" && !splitsFiles {
                            try sender.sendWholeFile(path, stop: stop)
                        } else {
                            try await sender.sendRecords(from: path, input, stop: stop)
                        }
                    } catch {
                        readFailure = error
                    }
                }
            }
            let sent = sender.sent
            // Every queued record is reported within message.timeout.ms; after a signal within
            // what is left of --stop-timeout, or it is purged (and reported as such).
            var bound: Duration = .seconds(86_400 * 7)
            if let deadline = stopDeadline.withLock({ $0 }) { bound = max(.zero, deadline - .now) }
            // librdkafka's queue length counts its pending events too: not a count of records.
            if let signal = stop.signal, producer.outputQueueLength > 0 {
                let wait = transactional ? "aborting the transaction" : bound > .zero ? "waiting up to \(Self.seconds(((Double(bound.components.seconds) + Double(bound.components.attoseconds) / 1e18) * 10).rounded() / 10)) s for those in flight (again to abandon them)" : "the stop timeout passed"
                printError("kafka produce: \(StopSignals.name(signal)): stopped reading after \(sent) records; \(wait)")
            }
            do {
                try await producer.flush(timeout: bound)
            } catch {
                purgeInFlight()
            }
            if transactional {
                purgeable.withLock { $0 = false }
                // Reports of records purged by the abort come while it runs.
                var action = transaction.inputEnded(
                    signal: stop.signal.map(StopSignals.name), readFailure: readFailure != nil, notSent: sender.notQueued,
                    failed: counts.failed)
                while action != .report {
                    // 60 s for a commit or abort; after a signal, what is left of --stop-timeout,
                    // but at least 1 s from the call's start.
                    let started = ContinuousClock.now
                    let deadline: @Sendable () -> ContinuousClock.Instant = {
                        guard stop.signal != nil, let stopAt = stopDeadline.withLock({ $0 }) else { return started + .seconds(60) }
                        return min(started + .seconds(60), max(stopAt, started + .seconds(1)))
                    }
                    action = await Self.end(&transaction, action, producer: producer, stop: stop, deadline: deadline)
                }
                if transaction.isCommitted { teeOutput?.writeHeld() } else { teeOutput?.discardHeld() }
            }
            // Returns once every report was served (and counted). A transaction neither
            // committed nor aborted in its time is not tried again here: its broker did not
            // answer, and the summary says so.
            if transactional, case .unresolved = transaction.state {
                _ = await producer.shutdownAndReport(timeout: .seconds(1))
            } else {
                await producer.shutdown()
            }
            if sender.abandoned > 0 {
                let why = transactional ? "the transaction is not committed" : "the stop timeout passed"
                printError("kafka produce: \(sender.abandoned) records read were not sent: \(why) (each counts as failed)")
            }
            let failed = counts.failed + sender.notQueued + sender.abandoned
            let delivered = reportsSuccess ? counts.delivered : sent - counts.failed
            progress.finish(sent: sent, delivered: delivered, failed: failed)
            if let first = counts.firstError { printError("kafka: first delivery failure: \(first)") }
            if transactional { Self.reportTransaction(transaction.state, sent: sent) }
            if teeOutput?.failed == true { printError("kafka produce: cannot write -T output to standard output") }
            if let readFailure { throw readFailure }
            if failed > 0 || teeOutput?.failed == true || (transactional && !transaction.isCommitted) { throw ExitCode(1) }
        }
    }

    /// Does `action` (a commit or an abort) and answers what the transaction says next.
    static func end(
        _ transaction: inout KafkaInputTransaction, _ action: KafkaInputTransaction.Action, producer: KafkaProducer,
        stop: StopSignals, deadline: @Sendable () -> ContinuousClock.Instant
    ) async -> KafkaInputTransaction.Action {
        switch action {
        case .commit:
            do {
                try await resuming(until: deadline, stop: nil) { try await producer.commitTransaction(timeout: $0) }
                transaction.committed()
                return .report
            } catch {
                let kafkaError = error as? KafkaError
                let text = kafkaError?.code == .timedOut ? "it did not finish in time (the broker did not answer); it may still complete" : "\(error)"
                return transaction.commitFailed(text, requiresAbort: kafkaError?.requiresAbort ?? false)
            }
        case .abort:
            do {
                try await resuming(until: deadline, stop: nil) { try await producer.abortTransaction(timeout: $0) }
                transaction.aborted()
            } catch {
                let kafkaError = error as? KafkaError
                transaction.abortFailed(kafkaError?.code == .timedOut ? "it did not finish in time (the broker did not answer)" : "\(error)")
            }
            return .report
        case .report:
            return .report
        }
    }

    /// Calls `call` with a timeout of at most a second, again (librdkafka resumes the call)
    /// while it fails with a retriable error and `deadline` — asked again each time: a signal
    /// may bring it nearer — has not passed, and no signal came (`stop`, when given).
    static func resuming(
        until deadline: () -> ContinuousClock.Instant, stop: StopSignals?, _ call: (Duration) async throws -> Void
    ) async throws {
        while true {
            let left = deadline() - .now
            do {
                try await call(max(.milliseconds(100), min(.seconds(1), left)))
                return
            } catch let error as KafkaError where error.isRetriable {
                if deadline() <= .now || stop?.signal != nil { throw error }
            }
        }
    }

    /// A transactional producer's librdkafka rules, met: message.timeout.ms may not exceed
    /// transaction.timeout.ms. A kafka.conf connection always sets message.timeout.ms
    /// (`message_timeout_ms`, 300 s unless given); unless -X sets it, it is lowered to the
    /// transaction's timeout, as librdkafka lowers its own default.
    func fitToTransaction(_ configuration: inout KafkaConfiguration) throws {
        if configuration["transactional.id"]?.isEmpty == true {
            throw ValidationError("-X transactional.id needs a value (an ID the producer keeps across runs)")
        }
        let givenByX = connection.properties.contains { $0.hasPrefix("message.timeout.ms=") || $0.hasPrefix("delivery.timeout.ms=") }
        let transactionTimeout = configuration["transaction.timeout.ms"].flatMap { Int($0) } ?? 60_000
        if !givenByX, let messageTimeout = configuration["message.timeout.ms"].flatMap({ Int($0) }), messageTimeout > transactionTimeout {
            configuration["message.timeout.ms"] = String(transactionTimeout)
            connection.note("message.timeout.ms lowered from \(messageTimeout) to transaction.timeout.ms (\(transactionTimeout)) for the transaction")
        }
    }

    static func reportTransaction(_ state: KafkaInputTransaction.State, sent: Int) {
        switch state {
        case .committed:
            printError("kafka produce: transaction committed: \(sent) records")
        case .aborted(let reason):
            printError("kafka produce: transaction aborted (\(reason)): none of the \(sent) records sent is committed")
        case .unresolved(let reason):
            printError("kafka produce: transaction neither committed nor aborted (\(reason)): the coordinator aborts it after transaction.timeout.ms")
        case .open, .committing, .aborting:
            printError("kafka produce: transaction left open")
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// How `kafka produce` splits what it reads.
struct InputOptions {
    var delimiter: [UInt8]
    var keyDelimiter: [UInt8]?
    var headerDelimiter: [UInt8]?
    var json: Bool
}

/// A progress line on a terminal (stderr), refreshed at most once a second, and the summary.
final class Progress {
    let label: String
    let start = ContinuousClock.now
    var lastPrint = ContinuousClock.now
    let isTerminal = isatty(2) != 0
    var printed = false

    init(label: String) { self.label = label }

    func tick(sent: Int, delivered: Int, failed: Int) {
        guard isTerminal else { return }
        let now = ContinuousClock.now
        guard now - lastPrint >= .seconds(1) else { return }
        lastPrint = now
        printed = true
        FileHandle.standardError.write(Data("\r\(label): sent \(sent), delivered \(delivered), failed \(failed), \(rate(sent)) msg/s   ".utf8))
    }

    func finish(sent: Int, delivered: Int, failed: Int) {
        if printed { FileHandle.standardError.write(Data("\n".utf8)) }
        let seconds = elapsedSeconds
        printError("\(label): sent \(sent), delivered \(delivered), failed \(failed) in \(String(format: "%.2f", seconds)) s (\(rate(sent)) msg/s)")
    }

    var elapsedSeconds: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func rate(_ n: Int) -> Int { elapsedSeconds > 0 ? Int(Double(n) / elapsedSeconds) : 0 }
}
