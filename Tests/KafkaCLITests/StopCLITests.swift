import Foundation
import KafkaKitTestSupport
import Testing

/// Output that reaches a pipe while `kafka consume` follows a topic, and what `kafka consume`
/// and `kafka produce` do with what they hold when SIGINT or SIGTERM stops them.
@Suite("kafka consume and produce: prompt output and stopping on a signal", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct StopCLITests {
    func produce(_ topic: String, _ lines: [String], _ extra: [String] = []) throws {
        let produced = try CLI.run(["produce", "--brokers", try TestBroker.servers(), "--topic", topic] + extra, stdin: Data(lines.map { $0 + "\n" }.joined().utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stderr.contains("delivered \(lines.count), failed 0"), "\(produced.stderr)")
    }

    @Test("consume without --count/--exit-at-end prints each record to a pipe without waiting for 64 KiB of output")
    func followPrintsPromptly() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-follow")
        try produce(topic, ["first"])
        let child = try RunningCLI(["consume", "--brokers", servers, "--topic", topic])
        try child.readOutput(seconds: 60) { $0.contains("first\n") }
        try produce(topic, ["second"])
        try child.readOutput(seconds: 60) { $0.contains("second\n") }
        child.signal(SIGTERM)
        let finished = try child.finish()
        #expect(finished.exitedCleanly, "a stopped consume exits 0: \(finished.reason) \(finished.status): \(finished.stderr)")
        #expect(finished.stdout == "first\nsecond\n")
    }

    @Test("SIGINT during consume --group prints what it took, commits only that and exits 0: a second run prints the rest")
    func interruptedGroupConsumeLosesNothing() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-sigint")
        let group = "cli-sigint-\(UUID().uuidString)"
        // 4 KiB records: the pipe (64 KiB) fills while the test does not read, so the signal
        // usually lands with records still to print.
        let padding = String(repeating: "x", count: 4096)
        let values = (0..<100).map { "record-\($0)-\(padding)" }
        try produce(topic, values)
        // Frequent auto-commits: anything stored too early would be committed during the run.
        // A short session: Tansu completes a join only after about half of it.
        let commitOften = ["-X", "auto.commit.interval.ms=100", "-X", "session.timeout.ms=6000"]
        let first = try RunningCLI(["consume", "--brokers", servers, "--topic", topic, "--group", group] + commitOften)
        try first.readOutput(seconds: 60) { $0.contains("\n") }
        first.signal(SIGINT)
        // Not reading for a moment makes it likely that the signal is handled while the child
        // is still blocked writing (nothing is asserted about timing).
        Thread.sleep(forTimeInterval: 1)
        let stopped = try first.finish()
        #expect(stopped.exitedCleanly, "a stopped consume exits 0: \(stopped.reason) \(stopped.status): \(stopped.stderr)")
        #expect(stopped.stdout.hasSuffix("\n"), "the last line is whole")
        let firstLines = stopped.stdout.split(separator: "\n").map(String.init)
        let firstValid = Set(firstLines).isSubset(of: values)
        #expect(firstValid, "the first run printed only whole records")

        let second = try CLI.run(["consume", "--brokers", servers, "--topic", topic, "--group", group, "--exit-at-end"] + commitOften)
        #expect(second.status == 0, "\(second.stderr)")
        let secondLines = second.stdout.split(separator: "\n").map(String.init)
        let secondValid = Set(secondLines).isSubset(of: values)
        #expect(secondValid, "the second run printed only whole records")
        let missing = Set(values).subtracting(firstLines).subtracting(secondLines)
        #expect(missing.count == 0, "\(missing.count) of 100 printed by neither run (first printed \(firstLines.count), second \(secondLines.count))")
        // At-least-once: duplicates are allowed (and counted), losses are not.
        let duplicates = firstLines.count + secondLines.count - Set(firstLines + secondLines).count
        print("interruptedGroupConsumeLosesNothing: first run printed \(firstLines.count), second \(secondLines.count), duplicates \(duplicates)")
    }

    @Test("consume --group --count 10, run twice, prints offsets 0..9 then 10..19 (needs the consumer core's store-on-move-past)")
    func countRunsContinueAfterWhatWasPrinted() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-count")
        let group = "cli-count-\(UUID().uuidString)"
        let created = try CLI.run(["topics", "create", topic, "--partitions", "1", "--brokers", servers])
        #expect(created.status == 0, "\(created.stderr)")
        // More than a consumer batch (1 024): a run that stored the whole batch it took shows
        // as a second run starting at 1 024.
        try produce(topic, (0..<2000).map { "v\($0)" }, ["--partition", "0"])
        var offsets: [[Int]] = []
        for _ in 0..<2 {
            let run = try CLI.run(["consume", "--brokers", servers, "--topic", topic, "--group", group, "--count", "10", "--json", "-X", "session.timeout.ms=6000"])
            #expect(run.status == 0, "\(run.stderr)")
            offsets.append(try run.stdout.split(separator: "\n").map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try #require(object["offset"] as? Int)
            })
        }
        #expect(offsets == [Array(0..<10), Array(10..<20)])
    }

    @Test("SIGINT or SIGTERM during produce delivers every line already read, prints the summary, then exits 0 (all delivered)",
          arguments: [SIGINT, SIGTERM])
    func interruptedProduceDeliversWhatItRead(signal: Int32) throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-produce-stop")
        let values = (0..<300).map { "line-\($0)" }
        // linger.ms=3000: the records are still in the producer when the signal comes.
        let child = try RunningCLI(["produce", "--brokers", servers, "--topic", topic, "-X", "linger.ms=3000", "-T"])
        child.write(values.map { $0 + "\n" }.joined())
        try child.waitUntilInputRead()
        child.signal(signal)
        let finished = try child.finish()
        #expect(finished.exitedCleanly, "\(finished.reason) \(finished.status): \(finished.stderr)")
        #expect(finished.stderr.contains("sent 300, delivered 300, failed 0"), "\(finished.stderr)")
        #expect(finished.stdout == values.map { $0 + "\n" }.joined(), "-T wrote every delivered record, in input order")

        let consumed = try CLI.run(["consume", "--brokers", servers, "--topic", topic, "--exit-at-end"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let lines = consumed.stdout.split(separator: "\n").map(String.init)
        let all = Set(lines) == Set(values)
        #expect(lines.count == 300 && all, "\(lines.count) lines read back")
    }
}

@Suite("kafka produce: a second signal")
struct SecondSignalTests {
    @Test("a second SIGINT while produce waits for deliveries exits at once, ended by the signal")
    func secondSignalExitsAtOnce() throws {
        // Nothing listens on port 1: the records stay in flight until message.timeout.ms.
        let child = try RunningCLI(["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "message.timeout.ms=300000"], seconds: 60)
        child.write("a\nb\nc\n")
        try child.waitUntilInputRead()
        child.signal(SIGINT)
        try child.waitForStderr(containing: "stopped reading after 3 records")
        child.signal(SIGINT)
        let finished = try child.finish()
        #expect(finished.endedBy(SIGINT), "\(finished.reason) \(finished.status): \(finished.stderr)")
        #expect(finished.stderr.contains("SIGINT again: exiting at once"), "\(finished.stderr)")
        #expect(!finished.stderr.contains("produce: sent"), "no summary after a forced exit: \(finished.stderr)")
    }
}

@Suite("kafka produce: a stop while the queue is full and no broker answers")
struct FullQueueStopTests {
    /// 3 000 lines to a port nothing listens on, SIGINT once they were read: the queue (1 000
    /// records) fills and the sender waits for room that only the stop's purge makes; the
    /// other 2 000 lines were read already.
    func stoppedWithFullQueue(_ extra: [String] = []) throws -> RunningCLI.Finished {
        let child = try RunningCLI(
            ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--stop-timeout", "1",
             "-X", "queue.buffering.max.messages=1000", "-X", "message.timeout.ms=300000"] + extra, seconds: 60)
        child.write((0..<3000).map { "v\($0)\n" }.joined())
        try child.waitUntilInputRead()
        child.signal(SIGINT)
        let finished = try child.finish()
        #expect(finished.reason == .exit && finished.status == 1, "\(finished.reason) \(finished.status): \(finished.stderr)")
        return finished
    }

    @Test("SIGINT with a full queue and no broker ends after --stop-timeout: what was read and not sent is dropped and counted, every record has an outcome")
    func fullQueueNoBrokerEnds() throws {
        let finished = try stoppedWithFullQueue()
        let summary = try #require(finished.stderr.firstMatch(of: /produce: sent (\d+), delivered (\d+), failed (\d+)/), "\(finished.stderr)")
        let abandoned = finished.stderr.firstMatch(of: /(\d+) records read were not sent/).flatMap { Int($0.1) } ?? 0
        let (sent, delivered, failed) = (Int(summary.1)!, Int(summary.2)!, Int(summary.3)!)
        #expect(delivered == 0)
        #expect(sent + abandoned == 3000, "every line read was sent or counted as not sent: \(finished.stderr)")
        #expect(failed == 3000, "every line read has one outcome, a failure: \(finished.stderr)")
    }

    @Test("records dropped after the stop's bound count toward --count: every record up to it has one outcome")
    func abandonedCountTowardCount() throws {
        let finished = try stoppedWithFullQueue(["--count", "1500"])
        #expect(finished.stderr.contains("delivered 0, failed 1500"), "\(finished.stderr)")
    }
}

@Suite("kafka produce and consume refuse an invalid topic name")
struct TopicNameTests {
    @Test("an invalid topic name is a usage error naming the topic, even with empty input")
    func invalidTopicNames() throws {
        for name in ["in valid", "a/b", ".", "..", "", String(repeating: "t", count: 250), "tópico"] {
            let produced = try CLI.run(["produce", "--brokers", "127.0.0.1:1", "--topic", name], stdin: Data())
            #expect(produced.status == 64, "produce --topic '\(name)': status \(produced.status)")
            #expect(produced.stderr.contains("'\(name)'"), "produce --topic '\(name)': \(produced.stderr)")
            let consumed = try CLI.run(["consume", "--brokers", "127.0.0.1:1", "--topic", name])
            #expect(consumed.status == 64, "consume --topic '\(name)': status \(consumed.status)")
            #expect(consumed.stderr.contains("'\(name)'"), "consume --topic '\(name)': \(consumed.stderr)")
        }
        let longest = try CLI.run(["produce", "--brokers", "127.0.0.1:1", "--topic", "Az09._-" + String(repeating: "t", count: 242)], stdin: Data())
        #expect(longest.status == 0, "a 249-character name of the allowed characters is valid: \(longest.stderr)")
    }
}
