import Foundation
import _KafkaKitCLISupport
import Synchronization
import Testing

/// A `kafka` child the test talks to while it runs: its standard input stays open until
/// ``closeInput()``, its standard output is read only when the test asks (so the test can let
/// the pipe fill up), its standard error is collected in the background. A child still running
/// at its deadline is killed and reported as ``CLI/TimedOut``: nothing waits forever.
final class RunningCLI {
    struct Finished {
        var reason: Process.TerminationReason
        var status: Int32
        var stdout: String
        var stderr: String

        /// Ended by this signal (not by an exit status).
        func endedBy(_ signal: Int32) -> Bool { reason == .uncaughtSignal && status == signal }

        /// Exited with status 0 (not ended by a signal).
        var exitedCleanly: Bool { reason == .exit && status == 0 }
    }

    let arguments: [String]
    private let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private var stdout = Data()
    private var outputClosed = false
    private let stderr = Collected()
    private let stderrDone = DispatchSemaphore(value: 0)
    private let watchdog: DispatchWorkItem

    init(_ arguments: [String], seconds: Double = 120) throws {
        self.arguments = arguments
        process.executableURL = CLI.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["KAFKA_CONF"] = nil
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let process = self.process
        watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        let handle = errors.fileHandleForReading
        let stderr = self.stderr, done = stderrDone
        Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                stderr.data.withLock { $0.append(data) }
            }
            done.signal()
        }.start()
    }

    deinit {
        watchdog.cancel()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Writes to the child's standard input (see ``writeToChild(_:_:)``).
    func write(_ text: String) {
        writeToChild(input.fileHandleForWriting.fileDescriptor, Array(text.utf8))
    }

    func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// Closes the read end of the child's standard output, as `head` does once it has its
    /// lines: the child's next write fails (EPIPE), and a pipe it watches reports the hang-up.
    func closeOutput() {
        try? output.fileHandleForReading.close()
        outputClosed = true
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Bytes written to the child's standard input that it has not read yet.
    var unreadInput: Int32 {
        var n: Int32 = 0
        _ = ioctl(input.fileHandleForWriting.fileDescriptor, UInt(FIONREAD), &n)
        return n
    }

    /// Waits until the child has read everything written to its standard input.
    func waitUntilInputRead(seconds: Double = 60) throws {
        let end = ContinuousClock.now + .seconds(seconds)
        while unreadInput > 0 {
            guard ContinuousClock.now < end, process.isRunning else { throw NotSeen(what: "input read", arguments: arguments, seen: "") }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    struct NotSeen: Error, CustomStringConvertible {
        let what: String
        let arguments: [String]
        let seen: String
        var description: String { "kafka \(arguments.joined(separator: " ")): \(what) not seen in time; output so far: \(seen.prefix(500))" }
    }

    /// Waits until the standard error written so far contains `text`.
    func waitForStderr(containing text: String, seconds: Double = 60) throws {
        let end = ContinuousClock.now + .seconds(seconds)
        while true {
            let seen = String(decoding: stderr.data.withLock { $0 }, as: UTF8.self)
            if seen.contains(text) { return }
            guard ContinuousClock.now < end else { throw NotSeen(what: "'\(text)' on stderr", arguments: arguments, seen: seen) }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Reads standard output until `predicate` holds for everything read so far; throws if it
    /// does not within `seconds` or the output ends first.
    @discardableResult
    func readOutput(seconds: Double = 60, until predicate: (String) -> Bool) throws -> String {
        let fd = output.fileHandleForReading.fileDescriptor
        let end = ContinuousClock.now + .seconds(seconds)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while !predicate(String(decoding: stdout, as: UTF8.self)) {
            let left = end - ContinuousClock.now
            guard left > .zero else { throw NotSeen(what: "expected output", arguments: arguments, seen: String(decoding: stdout, as: UTF8.self)) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
            if ready <= 0 { continue }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { throw NotSeen(what: "expected output (output ended)", arguments: arguments, seen: String(decoding: stdout, as: UTF8.self)) }
            stdout.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    /// Reads the rest of standard output and waits for the child to end.
    func finish() throws -> Finished {
        if !outputClosed { stdout.append(output.fileHandleForReading.readDataToEndOfFile()) }
        process.waitUntilExit()
        stderrDone.wait()
        watchdog.cancel()
        if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL { throw CLI.TimedOut(arguments: arguments) }
        let stderr = String(decoding: stderr.data.withLock { $0 }, as: UTF8.self)
        CLI.checkEnded(arguments, reason: process.terminationReason, status: process.terminationStatus, stderr: stderr)
        return Finished(
            reason: process.terminationReason, status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self), stderr: stderr)
    }
}

/// Bytes another thread collects.
final class Collected: Sendable {
    let data = Mutex(Data())
}

/// Writes to a child's standard input. A child that has ended (the failure a test is about to
/// report) is EPIPE here, never SIGPIPE for the test process.
func writeToChild(_ fd: Int32, _ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { kafkaWriteWithoutSIGPIPE(fd, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
}
