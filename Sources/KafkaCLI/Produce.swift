import ArgumentParser
import Foundation
import KafkaKit
import Synchronization
import _KafkaKitCLISupport

/// `kafka produce`: records from files or stdin, one per line (or per delimiter).
struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce records read from files or standard input.",
        discussion: """
            Prints a progress line on a terminal, then a summary on stderr (sent, delivered, \
            failed); exits 1 if any record failed. Waits for every record's outcome, at most \
            message.timeout.ms (librdkafka's default: 300 s).

            SIGINT (Ctrl-C) or SIGTERM stops reading the input: the records already read are \
            still sent and their outcome awaited as above, the summary is printed, then the \
            command ends by that signal (exit status 130 or 143, even when records failed: the \
            summary counts them). A second signal exits at once, abandoning the records in flight.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The topic.") var topic: String
    // Unconditional: "--partition -2" is a bad partition, not a missing value.
    @Option(parsing: .unconditional, help: "The partition (default: the partitioner decides, by key).") var partition: Int32?
    @Option(help: "Record delimiter (\\n, \\t, \\0 or any text).") var delimiter: String = "\\n"
    @Option(name: .customLong("key-delimiter"), help: "The text before its first occurrence is the key.") var keyDelimiter: String?
    @Option(name: .customLong("header"), help: ArgumentHelp("A header on every record (repeatable).", valueName: "name=value")) var headers: [String] = []
    @Argument(help: "Files to read (default: standard input).") var files: [String] = []

    func validate() throws {
        if unescape(delimiter).isEmpty { throw ValidationError("--delimiter must not be empty") }
        if let keyDelimiter, unescape(keyDelimiter).isEmpty { throw ValidationError("--key-delimiter must not be empty") }
        for header in headers where !header.contains("=") || header.hasPrefix("=") {
            throw ValidationError("--header takes name=value, not '\(header)'")
        }
        if let partition, partition < 0 { throw ValidationError("--partition must be 0 or more") }
        try validateTopicName(topic)
    }

    func run() async throws {
        let stop = StopSignals()
        defer { stop.endIfSignalled() }
        try await reportingFailures {
            let counts = DeliveryCounts()
            var configuration = try connection.configuration()
            configuration.queueFullPolicy = .wait(timeout: .seconds(60))
            let producer = try KafkaProducer(configuration: configuration) { event in
                switch event {
                case .deliveryReports(let reports): counts.add(reports)
                case .error(let error): printError("kafka: \(error)")
                case .statistics: break
                }
            }
            let recordHeaders = headers.map { header -> KafkaHeader in
                let parts = header.split(separator: "=", maxSplits: 1)
                return KafkaHeader(key: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
            }
            // Plain locals: reading an ArgumentParser property looks up generic metadata each
            // time (~7 % of the CPU when it was done per line).
            let topic = self.topic
            let partition = self.partition
            let progress = Progress(label: "produce")
            var sent = 0
            var notQueued = 0
            let split = KafkaRecordSplitter(delimiter: Array(unescape(delimiter).utf8), keyDelimiter: keyDelimiter.map { Array(unescape($0).utf8) })
            let inputs = files.isEmpty ? ["-"] : files
            // A read failure still lets what was queued be delivered and counted.
            var readFailure: (any Error)?
            for input in inputs where !stop.isStopRequested && readFailure == nil {
                // The common case is a synchronous hand-over of the bytes in place; only a full
                // queue takes the asynchronous path (which waits while reports drain).
                do {
                    try await readRecords(from: input, splitter: split, stop: stop) { key, value -> Bool in
                        do {
                            try value.withUnsafeBytes { value in
                                if let key {
                                    try key.withUnsafeBytes { key in
                                        _ = try producer.trySend(topic: topic, partition: partition, key: key, value: value, headers: recordHeaders)
                                    }
                                } else {
                                    _ = try producer.trySend(topic: topic, partition: partition, key: nil, value: value, headers: recordHeaders)
                                }
                            }
                            sent += 1
                        } catch let error as KafkaError where error.code == .queueFull {
                            return false
                        } catch {
                            notQueued += 1
                            if notQueued <= 5 { printError("kafka: not queued: \(error)") }
                        }
                        if sent & 1023 == 0 { progress.tick(sent: sent, delivered: counts.delivered, failed: counts.failed + notQueued) }
                        return true
                    } waiting: { key, value in
                        do {
                            _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: partition, key: key.map(Array.init), value: Array(value), headers: recordHeaders))
                            sent += 1
                        } catch {
                            notQueued += 1
                            if notQueued <= 5 { printError("kafka: not queued: \(error)") }
                        }
                    }
                } catch {
                    readFailure = error
                }
            }
            if let signal = stop.signal, sent > counts.delivered + counts.failed {
                printError("kafka produce: \(StopSignals.name(signal)): stopped reading; delivering the \(sent - counts.delivered - counts.failed) records in flight (again to abandon them)")
            }
            // Every queued record is reported within message.timeout.ms.
            await counts.waitFor(sent)
            await producer.shutdown()
            let failed = counts.failed + notQueued
            progress.finish(sent: sent, delivered: counts.delivered, failed: failed)
            if let first = counts.firstError { printError("kafka: first delivery failure: \(first)") }
            if let readFailure { throw readFailure }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

/// Calls `body` for every record of a file (`-`: standard input), read in chunks of up to
/// 1 MiB by an ``InputReader``. `body` is synchronous and returns `false` when the record could
/// not be taken yet; `waiting` then handles that record asynchronously.
///
/// After a stop, the records already read are still handed over; an unterminated last record
/// (the input was cut mid-record) is not, and is reported.
func readRecords(
    from path: String,
    splitter: KafkaRecordSplitter,
    stop: StopSignals,
    _ body: (ArraySlice<UInt8>?, ArraySlice<UInt8>) -> Bool,
    waiting: (ArraySlice<UInt8>?, ArraySlice<UInt8>) async -> Void
) async throws {
    let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
    guard fd >= 0 else { throw CLIFailure.kafka("cannot open \(path): \(String(cString: strerror(errno)))") }
    let reader = InputReader(fd: fd, path: path, stop: stop)
    var splitter = splitter
    for await chunk in reader.chunks {
        splitter.append(try chunk.get())
        reader.taken()
        while let (key, value) = splitter.next() {
            if !body(key, value) { await waiting(key, value) }
        }
    }
    guard splitter.pendingCount > 0 else { return }
    if reader.stoppedEarly {
        printError("kafka produce: \(splitter.pendingCount) bytes after the last delimiter of \(path == "-" ? "standard input" : path) not sent (stopped mid-record)")
        return
    }
    if let (key, value) = splitter.finish(), !body(key, value) { await waiting(key, value) }
}

/// `\n`, `\t`, `\r` and `\0` in a delimiter option.
func unescape(_ text: String) -> String {
    text.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t")
        .replacingOccurrences(of: "\\r", with: "\r").replacingOccurrences(of: "\\0", with: "\0")
}

/// Delivery outcomes counted by the producer's event handler.
final class DeliveryCounts: Sendable {
    private struct State {
        var delivered = 0
        var failed = 0
        var firstError: KafkaError?
        var waiter: (Int, CheckedContinuation<Void, Never>)?
    }
    private let state = Mutex(State())

    func add(_ reports: [KafkaDeliveryReport]) {
        let done = state.withLock { s -> CheckedContinuation<Void, Never>? in
            for report in reports {
                if report.isDelivered { s.delivered += 1 } else {
                    s.failed += 1
                    if s.firstError == nil { s.firstError = report.error }
                }
            }
            guard let (target, continuation) = s.waiter, s.delivered + s.failed >= target else { return nil }
            s.waiter = nil
            return continuation
        }
        done?.resume()
    }

    func waitFor(_ target: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s in
                if s.delivered + s.failed >= target { return true }
                s.waiter = (target, continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    var delivered: Int { state.withLock { $0.delivered } }
    var failed: Int { state.withLock { $0.failed } }
    var firstError: KafkaError? { state.withLock { $0.firstError } }
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
