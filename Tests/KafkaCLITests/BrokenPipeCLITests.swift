import Foundation
import KafkaKitTestSupport
import Testing

/// `kafka consume | head` and `kafka produce -T | head`: the reader of standard output goes
/// away. The command stops as cleanly as after a signal — never killed by SIGPIPE with a
/// group to leave or records without their outcome, never waiting for ever.
@Suite("kafka consume and produce: the reader of standard output goes away", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct BrokenPipeCLITests {
    func produce(_ topic: String, _ lines: [String]) throws {
        let produced = try CLI.run(["produce", "--brokers", try TestBroker.servers(), "--topic", topic], stdin: Data(lines.map { $0 + "\n" }.joined().utf8))
        #expect(produced.status == 0 && produced.stderr.contains("delivered \(lines.count), failed 0"), "\(produced.stderr)")
    }

    @Test("consume | head -1 at the end of the topic: the reader leaving ends the wait for records; exit 0, no error")
    func readerLeavesWhileIdle() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-head-idle")
        try produce(topic, ["one", "two", "three"])
        let child = try RunningCLI(["consume", "--brokers", servers, "--topic", topic], seconds: 60)
        try child.readOutput { $0.contains("three\n") }
        // Every record is written; the command waits for more, and then its reader leaves.
        child.closeOutput()
        let finished = try child.finish()
        #expect(finished.exitedCleanly, "\(finished.reason) \(finished.status): \(finished.stderr)")
        #expect(!finished.stderr.contains("cannot write"), "\(finished.stderr)")
    }

    @Test("consume --group | head -1 mid-stream: a clean stop, not SIGPIPE; what was not written is not committed, a second run prints it")
    func readerLeavesMidStream() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-head-group")
        let group = "cli-head-\(UUID().uuidString)"
        // 4 KiB records: the pipe (64 KiB, about 15 of them) fills while the test reads nothing.
        let padding = String(repeating: "x", count: 4096)
        let values = (0..<100).map { "record-\($0)-\(padding)" }
        try produce(topic, values)
        let fast = ["-X", "auto.commit.interval.ms=100", "-X", "session.timeout.ms=6000"]
        let first = try RunningCLI(["consume", "--brokers", servers, "--topic", topic, "--group", group] + fast, seconds: 90)
        let read = try first.readOutput { $0.contains("\n") }
        first.closeOutput()
        let stopped = try first.finish()
        #expect(stopped.exitedCleanly, "\(stopped.reason) \(stopped.status): \(stopped.stderr)")
        #expect(!stopped.stderr.contains("cannot write") && !stopped.stderr.contains("records before the end"), "\(stopped.stderr)")

        let second = try CLI.run(["consume", "--brokers", servers, "--topic", topic, "--group", group, "--exit-at-end"] + fast, seconds: 90)
        #expect(second.status == 0, "\(second.stderr)")
        let lines = second.stdout.split(separator: "\n").map(String.init)
        #expect(Set(lines).isSubset(of: values), "only whole records")
        // Committed at most: what the test read and what the pipe held when it was closed.
        let readLines = read.split(separator: "\n").count
        #expect(lines.count >= values.count - readLines - 17, "\(lines.count) records left after \(readLines) read")
    }

    @Test("produce -T | head -1: the records are all sent and reported; the command says -T could not be written and exits 1, not by SIGPIPE")
    func teeReaderLeaves() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-head-tee")
        let child = try RunningCLI(["produce", "--brokers", servers, "--topic", topic, "-T"], seconds: 90)
        let lines = (0..<20_000).map { "line-\($0)-\(String(repeating: "y", count: 100))\n" }.joined()
        child.write(String(lines.prefix(2_000)))
        try child.readOutput { $0.contains("\n") }
        child.closeOutput()
        child.write(String(lines.dropFirst(2_000)))
        child.closeInput()
        let finished = try child.finish()
        #expect(finished.reason == .exit && finished.status == 1, "\(finished.reason) \(finished.status): \(finished.stderr)")
        #expect(finished.stderr.contains("delivered 20000, failed 0"), "\(finished.stderr)")
        #expect(finished.stderr.contains("cannot write -T output"), "\(finished.stderr)")
    }
}
