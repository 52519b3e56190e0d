import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// The built `kafka` binary's data path, option by option, against the local broker: consume's
/// output formats, times and ends; produce's inputs, keys, headers, delimiters, compression
/// and tee; and a byte-exact copy of a topic through `consume --json | produce --json`.
@Suite("kafka consume and produce: every data-path option", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct DataPathCLITests {
    let servers: String

    init() throws { servers = try TestBroker.servers() }

    func kafka(_ arguments: [String], stdin: Data? = nil, seconds: Double = 90) throws -> CLI.Result {
        try CLI.run(arguments, stdin: stdin, seconds: seconds)
    }

    func createTopic(_ topic: String, partitions: Int = 1) throws {
        let created = try kafka(["topics", "create", topic, "--partitions", "\(partitions)", "--brokers", servers])
        #expect(created.status == 0, "\(created.stderr)")
    }

    /// Produces JSON lines (the test's own fixtures, with fixed timestamps) and checks all were delivered.
    func produceJSON(_ topic: String, _ lines: [String]) throws {
        let produced = try kafka(["produce", "--brokers", servers, "--topic", topic, "--json"], stdin: Data(lines.map { $0 + "\n" }.joined().utf8))
        #expect(produced.status == 0 && produced.stderr.contains("delivered \(lines.count), failed 0"), "\(produced.stderr)")
    }

    // MARK: consume output

    @Test("--format prints kcat's tokens as kcat does: -1 lengths for null, NULL headers, escapes, %R; -Z and --null")
    func format() throws {
        let topic = TestBroker.freshTopic("cli-format")
        try createTopic(topic)
        try produceJSON(topic, [
            #"{"key":"k1","value":"v1","timestamp":1000,"headers":[{"key":"a","value":"1"},{"key":"n","value":null},{"key":"e","value":""}]}"#,
            #"{"key":"","value":"","timestamp":2000}"#,
            #"{"key":null,"value":null,"timestamp":3000}"#,
        ])
        let format = #"%t|%p|%o|%k|%K|%s|%S|%T|%h|%%\x41\\\t.\n"#
        let plain = try kafka(["consume", "--brokers", servers, "-t", topic, "-e", "-f", format])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout == """
            \(topic)|0|0|k1|2|v1|2|1000|a=1,n=NULL,e=|%A\\\t.
            \(topic)|0|1||0||0|2000||%A\\\t.
            \(topic)|0|2||-1||-1|3000||%A\\\t.

            """)
        let nulls = try kafka(["consume", "--brokers", servers, "--topic", topic, "--exit-at-end", "--format", "[%k][%s]\n", "-Z"])
        #expect(nulls.stdout == "[k1][v1]\n[][]\n[NULL][NULL]\n", "-Z: only null is NULL, empty stays empty")
        let text = try kafka(["consume", "--brokers", servers, "--topic", topic, "--exit-at-end", "--null", "<nil>"])
        #expect(text.stdout == "v1\n\n<nil>\n", "--null in plain output")
        let binary = try kafka(["consume", "--brokers", servers, "--topic", topic, "--exit-at-end", "-f", "%R"])
        #expect(binary.stdoutBytes == [0, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], "%R: big-endian lengths, -1 for null")
    }

    @Test("-J writes kcat's envelope: tstype and ts, broker, a flat headers array only when there are headers, key and payload")
    func kcatJSON() throws {
        let topic = TestBroker.freshTopic("cli-kcatjson")
        try createTopic(topic)
        try produceJSON(topic, [
            #"{"key":"k","value":"tab\tquote\"","timestamp":1000,"headers":[{"key":"a","value":"1"},{"key":"n","value":null}]}"#,
            #"{"key":null,"value_base64":"/2E=","timestamp":2000}"#,
        ])
        let consumed = try kafka(["consume", "--brokers", servers, "--topic", topic, "--exit-at-end", "-J"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let lines = consumed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let broker = try #require(lines.first.flatMap { $0.range(of: #""broker":-?[0-9]+"#, options: .regularExpression) }.map { lines[0][$0] })
        #expect(lines.first == #"{"topic":"\#(topic)","partition":0,"offset":0,"tstype":"create","ts":1000,\#(broker),"headers":["a","1","n",null],"key":"k","payload":"tab\tquote\""}"#)
        #expect(lines.last == #"{"topic":"\#(topic)","partition":0,"offset":1,"tstype":"create","ts":2000,\#(broker),"key":null,"payload":"\#u{FFFD}a"}"#,
                "not UTF-8: U+FFFD, as JSON must be text")
    }

    @Test("-u writes each record at once; the output is the same")
    func unbuffered() throws {
        let topic = TestBroker.freshTopic("cli-unbuffered")
        try createTopic(topic)
        _ = try kafka(["produce", "--brokers", servers, "--topic", topic], stdin: Data("a\nb\n".utf8))
        let child = try RunningCLI(["consume", "--brokers", servers, "--topic", topic, "-u"])
        try child.readOutput { $0 == "a\nb\n" }
        child.signal(SIGINT)
        let finished = try child.finish()
        #expect(finished.exitedCleanly && finished.stdout == "a\nb\n", "\(finished.stderr)")
    }

    // MARK: times and ends

    @Test("--until e@MS stops each partition before its first record at that time, and ends by itself; @-DURATION is relative")
    func until() throws {
        let topic = TestBroker.freshTopic("cli-until")
        try createTopic(topic, partitions: 2)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        // Partition 0: 1000, 2000, 3000, then 1500 (after the stop: not printed either).
        try produceJSON(topic, [1000, 2000, 3000, 1500].map { #"{"partition":0,"value":"p0-\#($0)","timestamp":\#($0)}"# }
            + [500, 2500].map { #"{"partition":1,"value":"p1-\#($0)","timestamp":\#($0)}"# }
            + [#"{"partition":1,"value":"p1-recent","timestamp":\#(now - 60_000)}"#])
        let consumed = try kafka(["consume", "--brokers", servers, "--topic", topic, "--until", "e@2500", "-f", "%s\n"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        #expect(Set(consumed.stdout.split(separator: "\n")) == ["p0-1000", "p0-2000", "p1-500"], "\(consumed.stdout)")
        let relative = try kafka(["consume", "--brokers", servers, "--topic", topic, "--partition", "1", "--until", "@-2h"])
        #expect(relative.stdout == "p1-500\np1-2500\n", "\(relative.stdout)")
        // A partition with no record that late never stops by --until; --exit-at-end ends it.
        let late = try kafka(["consume", "--brokers", servers, "--topic", topic, "--until", "@\(now + 3_600_000)", "--exit-at-end"])
        #expect(late.stdout.split(separator: "\n").count == 7, "\(late.stdout)")
    }

    @Test("--until in a group commits only up to the stop: the next run stops at the same record")
    func untilInGroup() throws {
        let topic = TestBroker.freshTopic("cli-until-group")
        try createTopic(topic)
        try produceJSON(topic, (1...6).map { #"{"value":"v\#($0)","timestamp":\#($0 * 1000)}"# })
        let group = "cli-until-\(UUID().uuidString)"
        let args = ["consume", "--brokers", servers, "--topic", topic, "--group", group, "-X", "session.timeout.ms=6000"]
        let first = try kafka(args + ["--until", "e@4000"])
        #expect(first.status == 0 && first.stdout == "v1\nv2\nv3\n", "\(first.stdout) \(first.stderr)")
        let again = try kafka(args + ["--until", "e@4000", "--exit-at-end"])
        #expect(again.status == 0 && again.stdout == "", "the record at the stop was not committed past: \(again.stdout)")
        let rest = try kafka(args + ["--exit-at-end"])
        #expect(rest.stdout == "v4\nv5\nv6\n", "\(rest.stdout)")
    }

    @Test("--exit-at-end in a group ends at every assigned partition's end, commits what it printed; a second run prints only what came after")
    func exitAtEndInGroup() throws {
        let topic = TestBroker.freshTopic("cli-group-end")
        try createTopic(topic, partitions: 3)
        _ = try kafka(["produce", "--brokers", servers, "--topic", topic], stdin: Data((0..<300).map { "v\($0)\n" }.joined().utf8))
        let group = "cli-end-\(UUID().uuidString)"
        let args = ["consume", "--brokers", servers, "--topic", topic, "--group", group, "-e", "-X", "session.timeout.ms=6000"]
        let first = try kafka(args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(Set(first.stdout.split(separator: "\n").map(String.init)) == Set((0..<300).map { "v\($0)" }))
        let empty = try kafka(args)
        #expect(empty.status == 0 && empty.stdout == "", "everything was committed: \(empty.stdout)")
        _ = try kafka(["produce", "--brokers", servers, "--topic", topic], stdin: Data("new\n".utf8))
        let third = try kafka(args)
        #expect(third.stdout == "new\n", "\(third.stdout)")
    }

    @Test("--from s@MS and @-DURATION start from the broker's answer to a lookup by time (Tansu answers 0: everything)")
    func fromTimeOnTansu() throws {
        let topic = TestBroker.freshTopic("cli-from-time")
        try createTopic(topic)
        try produceJSON(topic, [#"{"value":"old","timestamp":1000}"#, #"{"value":"new","timestamp":5000}"#])
        for from in ["s@3000", "@-1h"] {
            let consumed = try kafka(["consume", "--brokers", servers, "--topic", topic, "--from", from, "-e"])
            #expect(consumed.status == 0, "\(from): \(consumed.stderr)")
            // Kafka would answer offset 1 for s@3000 ("new" only); Tansu 0.6.0 answers 0.
            #expect(consumed.stdout == "old\nnew\n" || consumed.stdout == "new\n", "\(from): \(consumed.stdout)")
        }
    }

    // MARK: produce input

    @Test("a file argument is one record (kcat's default), -l splits it; --key for records without a key of their own")
    func filesAndKeys() throws {
        let topic = TestBroker.freshTopic("cli-files")
        try createTopic(topic)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let whole = dir.appendingPathComponent("whole.bin")
        try Data([0x00, 0x0a, 0xff, 0x0a, 0x41]).write(to: whole)
        let lines = dir.appendingPathComponent("lines.txt")
        try Data("k1:a\nb\n".utf8).write(to: lines)
        let one = try kafka(["produce", "--brokers", servers, "--topic", topic, "--key", "fixed", whole.path])
        #expect(one.status == 0 && one.stderr.contains("sent 1, delivered 1"), "\(one.stderr)")
        let split = try kafka(["produce", "--brokers", servers, "--topic", topic, "-k", "fixed", "-K", ":", "-l", lines.path])
        #expect(split.status == 0 && split.stderr.contains("sent 2, delivered 2"), "\(split.stderr)")
        let read = try PlainConsumer.read(topic: topic, count: 3, bootstrapServers: servers)
        #expect(read.map(\.value) == [[0x00, 0x0a, 0xff, 0x0a, 0x41], Array("a".utf8), Array("b".utf8)])
        #expect(read.map(\.key) == [Array("fixed".utf8), Array("k1".utf8), Array("fixed".utf8)], "a key of its own wins over --key")
    }

    @Test("-Z sends an empty value as a tombstone and an empty key as none")
    func tombstones() throws {
        let topic = TestBroker.freshTopic("cli-tombstone")
        try createTopic(topic)
        let produced = try kafka(["produce", "--brokers", servers, "--topic", topic, "-K", ":", "-Z"], stdin: Data("k:\n:v\nk2:x\n\n".utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        let read = try PlainConsumer.read(topic: topic, count: 4, bootstrapServers: servers)
        #expect(read.map(\.key) == [Array("k".utf8), nil, Array("k2".utf8), nil])
        #expect(read.map(\.value) == [nil, Array("v".utf8), Array("x".utf8), nil])
        let plain = try kafka(["produce", "--brokers", servers, "--topic", topic], stdin: Data("\n".utf8))
        #expect(plain.status == 0)
        let again = try PlainConsumer.read(topic: topic, count: 5, bootstrapServers: servers)
        #expect(again.last?.value == [], "without -Z an empty line is an empty value")
    }

    @Test("delimiters of several bytes and \\xNN, a key delimiter, and per-record headers before --header-delimiter")
    func delimitersAndHeaders() throws {
        let topic = TestBroker.freshTopic("cli-delims")
        try createTopic(topic)
        let input = Data("a=1,n,e=|k1\u{1f}v1\u{1e}\u{1e}k2\u{1f}v2\u{1e}\u{1e}|plain\u{1e}\u{1e}".utf8)
        let produced = try kafka(["produce", "--brokers", servers, "--topic", topic, "-D", "\\x1e\\x1e", "-K", "\\x1f",
                                  "--header-delimiter", "|", "-H", "src=cli"], stdin: input)
        #expect(produced.status == 0 && produced.stderr.contains("sent 3, delivered 3"), "\(produced.stderr)")
        let read = try PlainConsumer.read(topic: topic, count: 3, bootstrapServers: servers)
        #expect(read.map(\.key) == [Array("k1".utf8), Array("k2".utf8), nil], "the key is looked for after the headers, if any")
        #expect(read.map(\.value) == [Array("v1".utf8), Array("v2".utf8), Array("plain".utf8)])
        #expect(read[0].headers.map(\.0) == ["a", "n", "e", "src"] && read[0].headers.map(\.1) == [Array("1".utf8), nil, [], Array("cli".utf8)])
        #expect(read[1].headers.map(\.0) == ["src"] && read[2].headers.map(\.0) == ["src"])
    }

    @Test("-z with each codec: the records read back unchanged", arguments: ["gzip", "snappy", "lz4", "zstd", "none"])
    func compression(codec: String) throws {
        let topic = TestBroker.freshTopic("cli-compress-\(codec)")
        try createTopic(topic)
        let values = (0..<500).map { "record \($0) " + String(repeating: "x", count: $0 % 50) }
        let produced = try kafka(["produce", "--brokers", servers, "--topic", topic, "-z", codec], stdin: Data(values.map { $0 + "\n" }.joined().utf8))
        #expect(produced.status == 0 && produced.stderr.contains("delivered 500, failed 0"), "\(produced.stderr)")
        let consumed = try kafka(["consume", "--brokers", servers, "--topic", topic, "-e"])
        #expect(consumed.stdout == values.map { $0 + "\n" }.joined())
    }

    @Test("-T writes each record as read once it was delivered, in input order; -c stops after that many")
    func tee() throws {
        let topic = TestBroker.freshTopic("cli-tee")
        try createTopic(topic, partitions: 4)
        let input = (0..<2000).map { "k\($0):v\($0)\n" }.joined()
        let produced = try kafka(["produce", "--brokers", servers, "--topic", topic, "-K", ":", "-T"], stdin: Data(input.utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stdout == input, "every record, as read, in input order across 4 partitions")
        let limited = try kafka(["produce", "--brokers", servers, "--topic", topic, "-T", "-c", "3"], stdin: Data("a\nb\nc\nd\ne\n".utf8))
        #expect(limited.stdout == "a\nb\nc\n" && limited.stderr.contains("sent 3, delivered 3"), "\(limited.stderr)")
    }

    @Test("-T prints nothing that was not delivered: an unreachable broker prints no record and exits 1")
    func teeUndelivered() throws {
        let produced = try kafka(["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-T", "-X", "message.timeout.ms=1000"], stdin: Data("a\nb\n".utf8))
        #expect(produced.status == 1 && produced.stdout == "", "\(produced.stdout) \(produced.stderr)")
        #expect(produced.stderr.contains("sent 2, delivered 0, failed 2"), "\(produced.stderr)")
    }

    @Test("Without -T an undelivered record counts as failed, never as delivered, also when librdkafka reports only failures")
    func undeliveredWithoutTee() throws {
        for extra in [[], ["-X", "delivery.report.only.error=true"]] {
            let produced = try kafka(
                ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "message.timeout.ms=1000"] + extra, stdin: Data("a\nb\n".utf8))
            #expect(produced.status == 1, "\(extra): \(produced.stderr)")
            #expect(produced.stderr.contains("sent 2, delivered 0, failed 2"), "\(extra): \(produced.stderr)")
        }
    }

    // MARK: the round trip

    @Test("consume --json | produce --json copies 10 000 records with binary keys, values and headers byte for byte, partitions and timestamps kept")
    func jsonRoundTrip() async throws {
        let source = TestBroker.freshTopic("cli-copy-src")
        let copy = TestBroker.freshTopic("cli-copy-dst")
        try createTopic(source, partitions: 4)
        try createTopic(copy, partitions: 4)
        var generator = SystemRandomNumberGenerator()
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let specials: [[UInt8]?] = [nil, [], Array("plain text".utf8), Array("é ü 😀 \"q\" \\ \n\t\u{01}".utf8), [0xff, 0xfe, 0x00], [0xc3], Array("{\"json\":1}".utf8)]
        var records: [KafkaProducerRecord] = []
        for i in 0..<10_000 {
            let key: [UInt8]? = i % 10 < 3 ? specials[i % specials.count] : bytes(Int.random(in: 0...16, using: &generator))
            let value: [UInt8]? = i % 13 == 0 ? specials[(i / 13) % specials.count] : bytes(Int.random(in: 0...200, using: &generator))
            var headers: [KafkaHeader] = []
            for h in 0..<(i % 4) {
                headers.append(KafkaHeader(key: h == 1 ? "näme-\(h)" : "h\(h)", value: h == 2 ? nil : bytes(Int.random(in: 0...10, using: &generator))))
            }
            records.append(KafkaProducerRecord(
                topic: source, partition: Int32(i % 4), key: key, value: value, headers: headers,
                timestamp: Date(timeIntervalSince1970: Double(1_600_000_000_000 + i) / 1000)))
        }
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [servers]))
        for record in records { _ = try await producer.send(record) }
        try await producer.flush(timeout: .seconds(60))
        #expect(producer.deliveredCount == 10_000)
        await producer.shutdown()

        let consumed = try kafka(["consume", "--brokers", servers, "--topic", source, "--exit-at-end", "--json"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        #expect(consumed.stdout.split(separator: "\n").count == 10_000)
        let produced = try kafka(["produce", "--brokers", servers, "--topic", copy, "--json"], stdin: Data(consumed.stdout.utf8))
        #expect(produced.status == 0 && produced.stderr.contains("sent 10000, delivered 10000, failed 0"), "\(produced.stderr)")

        // Read back by librdkafka alone, not by the command under test.
        let original = try PlainConsumer.read(topic: source, count: 10_000, bootstrapServers: servers)
        let copied = try PlainConsumer.read(topic: copy, count: 10_000, bootstrapServers: servers)
        func byPartition(_ records: [ConsumedRecord]) -> [Int32: [ConsumedRecord]] {
            Dictionary(grouping: records, by: \.partition).mapValues { $0.sorted { $0.offset < $1.offset } }
        }
        let a = byPartition(original), b = byPartition(copied)
        #expect(a.keys.sorted() == [0, 1, 2, 3] && b.keys.sorted() == [0, 1, 2, 3])
        var differences = 0
        for p in a.keys {
            for (x, y) in zip(a[p]!, b[p] ?? []) where x != y { differences += 1 }
            #expect(a[p]!.count == b[p]?.count, "partition \(p): \(a[p]!.count) vs \(b[p]?.count ?? 0)")
        }
        #expect(differences == 0, "\(differences) records differ (key, value, headers, timestamp, partition or offset)")

        let again = try kafka(["consume", "--brokers", servers, "--topic", copy, "--exit-at-end", "--json"])
        let first = consumed.stdout.split(separator: "\n").sorted()
        let second = again.stdout.replacingOccurrences(of: "\"topic\":\"\(copy)\"", with: "\"topic\":\"\(source)\"").split(separator: "\n").sorted()
        #expect(first == second, "consume --json of the copy prints the same lines")
    }
}
