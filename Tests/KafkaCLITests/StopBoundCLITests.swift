import Foundation
import KafkaKitTestSupport
import Testing

/// `kafka produce` stopped by a signal while records cannot be delivered: it waits at most
/// `--stop-timeout`, purges the rest (each counted as failed), prints the summary and exits 1;
/// with -T nothing undelivered was printed. Runs against a port nothing listens on: no broker.
@Suite("kafka produce: a signal with records that cannot be delivered")
struct StopBoundCLITests {
    @Test("SIGTERM with undeliverable records: purged after --stop-timeout, counted as failed, exit 1, nothing tee'd", arguments: [SIGINT, SIGTERM])
    func boundedStop(signal: Int32) throws {
        let child = try RunningCLI(["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-T", "--stop-timeout", "1",
                                    "-X", "message.timeout.ms=300000"], seconds: 60)
        child.write("a\nb\nc\n")
        try child.waitUntilInputRead()
        let start = ContinuousClock.now
        child.signal(signal)
        let finished = try child.finish()
        let took = ContinuousClock.now - start
        #expect(finished.reason == .exit && finished.status == 1, "\(finished.reason) \(finished.status): \(finished.stderr)")
        #expect(finished.stderr.contains("stopped reading after 3 records; waiting up to 1 s for those in flight"), "\(finished.stderr)")
        #expect(finished.stderr.contains("purging the records still in flight after 1 s (each counts as failed)"), "\(finished.stderr)")
        #expect(finished.stderr.contains("sent 3, delivered 0, failed 3"), "\(finished.stderr)")
        #expect(finished.stdout == "", "-T printed only delivered records: \(finished.stdout)")
        // Not a timing assertion on the broker: the bound is the command's own (1 s), far
        // below message.timeout.ms (300 s), which it would otherwise wait out.
        #expect(took < .seconds(60))
    }
}

/// The partition path's lookup by time on librdkafka's mock cluster. The mock answers every
/// lookup by time with -1 ("no record that late", its handler does not search by time), as
/// Tansu answers 0: neither proves the broker's search, only what the command does with the
/// answer. -1 is the end: nothing printed, and --exit-at-end ends.
@Suite("kafka consume --from a time on librdkafka's mock cluster")
struct FromTimeMockTests {
    @Test("--from s@MS: the lookup's answer -1 starts at the end; later records are printed")
    func fromTimeAtEnd() throws {
        let mock = MockCluster()
        mock.createTopic("timed", partitions: 2)
        let produced = try CLI.run(["produce", "--brokers", mock.bootstrapServers, "--topic", "timed"], stdin: Data("a\nb\n".utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        let consumed = try CLI.run(["consume", "--brokers", mock.bootstrapServers, "--topic", "timed", "--from", "s@0", "--exit-at-end"])
        #expect(consumed.status == 0 && consumed.stdout == "", "\(consumed.stdout) \(consumed.stderr)")
        let all = try CLI.run(["consume", "--brokers", mock.bootstrapServers, "--topic", "timed", "--exit-at-end"])
        #expect(Set(all.stdout.split(separator: "\n")) == ["a", "b"], "the records are there: \(all.stdout)")
    }
}
