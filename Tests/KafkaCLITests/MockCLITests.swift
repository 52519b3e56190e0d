import Foundation
import KafkaKit
import Testing

/// `kafka mock` running for a test: the bootstrap address it printed first, stopped by SIGTERM.
final class MockCLI {
    let child: RunningCLI
    let servers: String
    let firstLine: String

    init(_ arguments: [String] = []) throws {
        child = try RunningCLI(["mock"] + arguments)
        let output = try child.readOutput(seconds: 30) { $0.contains("\n") }
        firstLine = String(output.prefix { $0 != "\n" })
        servers = firstLine.hasPrefix("{") ? "" : firstLine
    }

    /// SIGTERM, then what it printed and how it ended.
    func stop() throws -> RunningCLI.Finished {
        child.signal(SIGTERM)
        return try child.finish()
    }
}

/// The admin commands where the local broker cannot prove them, on `kafka mock` (librdkafka's
/// mock cluster): several brokers and replicas, ListOffsets counting records in batches,
/// offset-reset plans; and what the mock cannot do, refused clearly.
@Suite("kafka mock, and the admin commands on it")
struct MockCLITests {
    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    @Test("kafka mock prints its bootstrap address first, serves several brokers and topics, and exits 0 on SIGTERM")
    func mockCluster() throws {
        let mock = try MockCLI(["--brokers", "3", "--topic", "orders:4", "--topic", "audit:1:3"])
        #expect(mock.servers.split(separator: ",").count == 3 && mock.servers.hasPrefix("127.0.0.1:"), "\(mock.servers)")
        let metadata = try CLI.run(["metadata", "--brokers", mock.servers, "--output", "json"])
        #expect(metadata.status == 0, "\(metadata.stderr)")
        let object = try #require(try json(metadata.stdout) as? [String: Any])
        #expect((object["brokers"] as? [Any])?.count == 3)
        let topics = try #require(object["topics"] as? [[String: Any]])
        #expect(topics.map { $0["topic"] as? String } == ["audit", "orders"])
        #expect((topics[1]["partitions"] as? [Any])?.count == 4)
        let describe = try CLI.run(["topics", "describe", "audit", "--no-configs", "--brokers", mock.servers])
        #expect(describe.status == 0, "\(describe.stderr)")
        #expect(describe.stdout.contains("Partitions: 1  Replication factor: 3"), "\(describe.stdout)")
        let describeJSON = try CLI.run(["topics", "describe", "audit", "--no-configs", "--brokers", mock.servers, "--output", "json"])
        let partitions = try #require((try json(describeJSON.stdout) as? [String: Any])?["partitions"] as? [[String: Any]])
        #expect(Set(partitions.first?["replicas"] as? [Int] ?? []) == [1, 2, 3], "\(describeJSON.stdout)")
        let finished = try mock.stop()
        #expect(finished.reason == .exit && finished.status == 0, "\(finished.reason) \(finished.status) \(finished.stderr)")
        #expect(finished.stderr.contains("3 brokers at \(mock.servers)"))
    }

    @Test("kafka mock --output json: one line with the address, brokers and topics")
    func mockJSON() throws {
        let mock = try MockCLI(["--topic", "t:2", "--output", "json", "-q"])
        let object = try #require(try json(mock.firstLine) as? [String: Any])
        let servers = try #require(object["bootstrap_servers"] as? String)
        #expect(object["brokers"] as? Int == 1)
        #expect((object["topics"] as? [[String: Any]])?.first?["partitions"] as? Int == 2)
        let offsets = try CLI.run(["offsets", "t", "--brokers", servers])
        #expect(offsets.status == 0 && offsets.stdout.split(separator: "\n").count == 3, "\(offsets.stdout) \(offsets.stderr)")
        let finished = try mock.stop()
        #expect(finished.status == 0 && finished.stderr.isEmpty, "-q: no note: \(finished.stderr)")
    }

    @Test("offsets count records, batched, where Tansu counts batches; a time finds no offset on the mock")
    func offsets() throws {
        let mock = try MockCLI(["--topic", "batched:3"])
        let lines = (0..<1000).map { "record \($0)" }.joined(separator: "\n") + "\n"
        let produced = try CLI.run(["produce", "--brokers", mock.servers, "--topic", "batched", "--partition", "2", "-X", "linger.ms=100"], stdin: Data(lines.utf8))
        #expect(produced.status == 0 && produced.stderr.contains("delivered 1000"), "\(produced.stderr)")
        let text = try CLI.run(["offsets", "batched", "--brokers", mock.servers])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout == """
            TOPIC    PARTITION  EARLIEST  LATEST
            batched  0          0         0
            batched  1          0         0
            batched  2          0         1000

            """, "\(text.stdout)")
        let latest = try CLI.run(["offsets", "batched:2", "--at", "latest", "--brokers", mock.servers, "--output", "json"])
        let listed = try #require(try json(latest.stdout) as? [[String: Any]])
        #expect(listed.count == 1 && listed[0]["offset"] as? Int == 1000 && listed[0]["partition"] as? Int == 2, "\(latest.stdout)")
        let earliest = try CLI.run(["offsets", "batched:2,0", "--at", "earliest", "--brokers", mock.servers, "--output", "json"])
        #expect((try json(earliest.stdout) as? [[String: Any]])?.map { $0["offset"] as? Int } == [0, 0])
        let byTime = try CLI.run(["offsets", "batched:2", "--at", "-1h", "--brokers", mock.servers])
        #expect(byTime.status == 0 && byTime.stdout.contains("batched  2          -1"), "the mock finds no offset for a time: \(byTime.stdout)")
        let missing = try CLI.run(["offsets", "batched:7", "--brokers", mock.servers])
        #expect(missing.status == 1 && missing.stderr.contains("topic batched has no partition 7 (it has 3)"))
        _ = try mock.stop()
    }

    @Test("a reset plan on the mock: current, earliest, latest and new per partition, for each target; --execute refused as the members cannot be checked")
    func resetPlan() throws {
        let mock = try MockCLI(["--topic", "plan:1"])
        let lines = (0..<50).map { "v\($0)" }.joined(separator: "\n") + "\n"
        _ = try CLI.run(["produce", "--brokers", mock.servers, "--topic", "plan"], stdin: Data(lines.utf8))
        let consumed = try CLI.run(["consume", "--brokers", mock.servers, "--topic", "plan", "--group", "planned", "--count", "20"])
        #expect(consumed.status == 0 && consumed.stdout.split(separator: "\n").count == 20, "\(consumed.stderr)")
        func plan(_ target: [String], _ extra: [String] = []) throws -> (CLI.Result, [String: Any]) {
            let result = try CLI.run(["groups", "reset-offsets", "planned", "--topic", "plan:0", "--brokers", mock.servers, "--output", "json"] + target + extra)
            let object = (try? json(result.stdout) as? [String: Any]) ?? [:]
            return (result, ((object["partitions"] as? [[String: Any]])?.first) ?? [:])
        }
        let (earliest, e) = try plan(["--to-earliest"])
        #expect(earliest.status == 0, "\(earliest.stderr)")
        #expect(e["current"] as? Int == 20 && e["earliest"] as? Int == 0 && e["latest"] as? Int == 50 && e["new"] as? Int == 0 && e["clamped"] as? Bool == false, "\(earliest.stdout)")
        #expect(earliest.stderr.contains("dry run, nothing changed"))
        #expect(try plan(["--to-latest"]).1["new"] as? Int == 50)
        #expect(try plan(["--to-offset", "7"]).1["new"] as? Int == 7)
        let (_, far) = try plan(["--to-offset", "5000"])
        #expect(far["new"] as? Int == 50 && far["clamped"] as? Bool == true)
        #expect(try plan(["--shift-by", "-3"]).1["new"] as? Int == 17)
        #expect(try plan(["--to-time", "-1h"]).1["new"] as? Int == 50, "no offset for a time on the mock: the end")
        let quiet = try CLI.run(["groups", "reset-offsets", "planned", "--topic", "plan", "--to-earliest", "--brokers", mock.servers, "-q"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "-q: no note: \(quiet.stderr)")
        #expect(quiet.stdout == "TOPIC  PARTITION  CURRENT  EARLIEST  LATEST  NEW\nplan   0          20       0         50      0\n", "\(quiet.stdout)")
        let execute = try CLI.run(["groups", "reset-offsets", "planned", "--topic", "plan", "--to-earliest", "--execute", "--brokers", mock.servers])
        #expect(execute.status == 1 && execute.stderr.contains("cannot check that group planned has no members"), "\(execute.stderr)")
        let after = try CLI.run(["groups", "reset-offsets", "planned", "--topic", "plan", "--to-earliest", "--brokers", mock.servers, "--output", "json"])
        #expect(after.stdout.contains("\"current\":20"), "nothing changed: \(after.stdout)")
        _ = try mock.stop()
    }

    @Test("publish --wait and event raise --output json on the mock: where each record landed")
    func publishJSON() throws {
        let mock = try MockCLI(["--topic", "events:1"])
        let published = try CLI.run(["publish", "\(mock.servers)/events", "hello", "--wait", "--output", "json"])
        #expect(published.status == 0, "\(published.stderr)")
        let report = try #require(try json(published.stdout) as? [String: Any])
        #expect(report["status"] as? Int == 0 && report["topic"] as? String == "events" && report["offset"] as? Int == 0 && report["message"] as? String == "hello")
        let raised = try CLI.run(["event", "raise", "E_TEST", "--param", "a=1", "--socket", "kafka:\(mock.servers)/events", "--output", "json"])
        #expect(raised.status == 0, "\(raised.stderr)")
        let reports = try #require(try json(raised.stdout) as? [[String: Any]])
        #expect(reports.count == 1 && reports[0]["status"] as? Int == 0 && reports[0]["offset"] as? Int == 1, "\(raised.stdout)")
        _ = try mock.stop()
    }

    @Test("what the mock cannot do is refused with the reason, within --timeout")
    func unsupported() throws {
        let mock = try MockCLI(["--topic", "none:1"])
        let b = ["--brokers", mock.servers, "--timeout", "3"]
        let cases: [([String], String)] = [
            (["groups", "delete", "g"] + b, "UNSUPPORTED_FEATURE"),
            (["groups", "delete-offsets", "g", "--topic", "none"] + b, "OffsetDelete"),
            (["records", "delete", "none:0", "--before", "1"] + b, "UNSUPPORTED_FEATURE"),
            (["topics", "add-partitions", "none", "--partitions", "2"] + b, "TIMED_OUT"),
            (["topics", "alter-config", "none", "--set", "retention.ms=1"] + b, "TIMED_OUT"),
            (["groups", "list"] + b, "UNSUPPORTED_FEATURE"),
        ]
        for (arguments, message) in cases {
            let result = try CLI.run(arguments, seconds: 60)
            #expect(result.status == 1 && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
        }
        // groups describe still answers, with a note: the mock describes no group.
        let describe = try CLI.run(["groups", "describe", "g"] + b)
        #expect(describe.status == 0 && describe.stderr.contains("the cluster does not describe groups"), "\(describe.stderr)")
        _ = try mock.stop()
    }
}
