import Foundation
import KafkaKitTestSupport
import Testing

/// Issue 11, for the built `kafka` binary: every bad argument, file, name or property ends the
/// process by an exit status (never a signal, never a hang: each run has a deadline) that is
/// not 0, with a message on stderr naming the offending input.
@Suite("Bad input: the kafka command")
struct CLIBadInputTests {
    /// A bad command line: its arguments (`$CONF`: a good kafka.conf with a connection `local`
    /// and a broker ID `k1`; `$DISABLED`, `$LATIN1`, `$BADTYPE`, `$BADPORT`: broken ones; `$DIR`:
    /// a directory), its standard input, and the words stderr must hold. The exit status is the
    /// table's (see the tests below).
    struct Row: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var stdin = ""
        var says: [String]
        var testDescription: String { "kafka \(arguments.joined(separator: " ").prefix(90))" }

        init(_ arguments: String..., stdin: String = "", says: String...) {
            self.init(arguments, stdin: stdin, says: says)
        }

        init(_ arguments: [String], stdin: String = "", says: [String]) {
            self.arguments = arguments
            self.stdin = stdin
            self.says = says
        }

        /// `kafka produce` to `topic` on a broker that is not there, with `options` after.
        static func produce(topic: String = "t", _ options: String..., stdin: String = "", says: String...) -> Row {
            Row(["produce", "--brokers", "127.0.0.1:1", "--topic", topic] + options, stdin: stdin, says: says)
        }

        /// `kafka consume` from `topic` on a broker that is not there, with `options` after.
        static func consume(topic: String = "t", _ options: String..., says: String...) -> Row {
            Row(["consume", "--brokers", "127.0.0.1:1", "--topic", topic] + options, says: says)
        }
    }

    static let usageRows: [Row] = [
        Row("frobnicate", says: "Unexpected argument 'frobnicate'"),
        .produce("--bogus", says: "Unknown option '--bogus'"),
        .produce(topic: "in valid", says: "invalid topic name 'in valid': ' ' is not allowed"),
        .produce(topic: "", says: "invalid topic name '': it is empty"),
        .produce(topic: "..", says: "invalid topic name '..': it is '..'"),
        .produce(topic: String(repeating: "x", count: 250), says: "it has 250 characters"),
        .consume(topic: "a/b", says: "invalid topic name 'a/b': '/' is not allowed"),
        Row("metadata", "--brokers", "127.0.0.1:1", "--topic", "in valid", says: "invalid topic name 'in valid'"),
        Row("topics", "create", "in valid", "--partitions", "1", "--brokers", "127.0.0.1:1", says: "invalid topic name 'in valid'"),
        Row("topics", "delete", "..", "--brokers", "127.0.0.1:1", says: "invalid topic name '..'"),
        Row("test", "send", "connection", "local", "topic", "in valid", "message", "m", "--config", "$CONF", says: "invalid topic name 'in valid'"),
        .produce("--partition", "abc", says: "The value 'abc' is invalid for '--partition <partition>'"),
        .produce("--partition", "-2", says: "--partition must be 0 or more"),
        .produce("--partition", "2147483648", says: "The value '2147483648' is invalid for '--partition <partition>'"),
        .consume("--partition", "-1", says: "--partition must be 0 or more"),
        .consume("--count", "0", says: "--count must be 1 or more"),
        .consume("--count", "-5", says: "--count must be 1 or more"),
        .consume("--from", "yesterday", says: "--from takes beginning, end, stored, OFFSET, -N, s@MS or @-DURATION, not 'yesterday'"),
        .consume("--group", "", says: "--group must not be empty"),
        .consume("--group", "g", "--partition", "0", says: "--partition cannot be used with --group"),
        .consume("--from", "stored", says: "--from stored needs --group"),
        .produce("--delimiter", "", says: "--delimiter must not be empty"),
        .produce("--key-delimiter", "", says: "--key-delimiter must not be empty"),
        .produce("--header", "novalue", says: "--header takes name=value, not 'novalue'"),
        .produce("--header", "=v", says: "--header takes name=value, not '=v'"),
        .produce("-X", "novalue", says: "-X takes NAME=VALUE, not 'novalue'"),
        .produce("-X", "=1", says: "-X takes NAME=VALUE, not '=1'"),
        Row("produce", "--topic", "t", says: "say which cluster: --connection NAME or --brokers HOST:PORT"),
        Row("produce", "--connection", "local", "--brokers", "h:1", "--topic", "t", says: "use either --connection or --brokers, not both"),
        Row("produce", "--brokers", "", "--topic", "t", says: "bad --brokers: the broker list is empty"),
        Row("produce", "--brokers", "h:notaport", "--topic", "t",
            says: "bad --brokers: bad port 'notaport' in broker 'h:notaport'", "  h:notaport\n    ^"),
        Row("consume", "--brokers", "h:1,,:2", "--topic", "t", says: "bad --brokers: missing host in broker ':2'"),
        .consume("--format", "%p %x",
            says: "bad --format: unknown format token '%x' (known: %t %p %o %k %K %s %S %R %T %h %%) (at position 4)", "  %p %x\n     ^"),
        .consume("-f", "%s\\q", says: "bad --format: unknown escape '\\q'"),
        .consume("--json", "-J", says: "choose one of --format, --json and -J (--kcat-json)"),
        .consume("--until", "s@5", says: "--until takes a stop time: e@MS, @MS or @-DURATION"),
        .consume("--until", "tomorrow", says: "bad --until: 'tomorrow' is not a time"),
        .consume("--from", "e@5", says: "--from takes a start; e@MS is a stop: use --until e@5"),
        .consume("--from", "@-1x", says: "bad --from: bad duration in '@-1x'"),
        .consume("--group", "g", "--from", "s@5", says: "with --group, --from is beginning or end (a start time"),
        .consume("--null", "-", "--json", says: "--null and -Z apply to plain and --format output"),
        .consume("--null", "-", "-Z", says: "use either --null TEXT or -Z, not both"),
        .produce("-D", "ab\\q", says: "bad --delimiter: unknown escape '\\q' (known: \\n \\t \\r \\0 \\\\ \\xNN) at position 3"),
        .produce("-K", "\\x", says: "bad --key-delimiter: \\x needs one or two hexadecimal digits"),
        .produce("--compression", "brotli", says: "--compression takes none, gzip, snappy, lz4, zstd, not 'brotli'"),
        .produce("--json", "-K", ":", says: "--key-delimiter cannot be used with --json"),
        .produce("--json", "-k", "k", says: "--key cannot be used with --json"),
        .produce("--stop-timeout", "-1", says: "--stop-timeout is 0 to 86400 seconds"),
        .produce("-c", "0", says: "--count must be 1 or more"),
        Row("topics", "create", "t", "--partitions", "0", "--brokers", "127.0.0.1:1", says: "--partitions must be 1 or more"),
        Row("topics", "create", "t", "--partitions", "-1", "--brokers", "127.0.0.1:1", says: "--partitions must be 1 or more"),
        Row("topics", "create", "t", "--partitions", "1", "--replication-factor", "0", "--brokers", "127.0.0.1:1",
            says: "--replication-factor must be 1 or more"),
        Row("topics", "create", "t", "--partitions", "1", "--topic-config", "novalue", "--brokers", "127.0.0.1:1",
            says: "--topic-config takes name=value, not 'novalue'"),
        Row("groups", "describe", "", "--brokers", "127.0.0.1:1", says: "the group name is empty"),
        Row("test", "send", "connection", "local", "topic", says: "'topic' needs a value"),
        Row("test", "send", "connection", "local", "topic", "t", says: "missing 'message <value>'"),
        Row("test", "send", "connection", "local", "colour", "blue", says: "unexpected 'colour': expected connection, topic, message or key"),
        Row("publish", "kafka:127.0.0.1:1/in valid", "m", says: "bad socket: invalid character ' ' in topic 'in valid'"),
        Row("publish", "[k1]h:x/t", "m", says: "bad port 'x'"),
        Row("event", "raise", "", "--dry-run", says: "the event name is empty"),
        Row("event", "raise", "E", "--params-json", #"{"a":"#, "--dry-run",
            says: "bad --params-json: invalid JSON: expected a value (found the end)"),
        Row("event", "raise", "E", "--params-json", "[1]", "--dry-run", says: "--params-json must be a JSON object"),
        Row("event", "raise", "E", "--param", "a:=tru", "--dry-run", says: "bad --param a: invalid JSON: expected a value (found 'tru')"),
        Row("event", "raise", "E", "--param", "novalue", "--dry-run", says: "--param takes KEY=VALUE or KEY:=JSON, not 'novalue'"),
        Row("event", "raise", "E", "--param", "=v", "--dry-run", says: "--param '=v' has no key before '='"),
        Row("event", "raise", "E", "--socket", "kafka:h:1", "--dry-run", says: "bad --socket: missing '/TOPIC'"),
    ]

    static let configurationRows: [Row] = [
        Row("produce", "--connection", "nope", "--config", "$CONF", "--topic", "t", says: "no connection named 'nope' (known: local)"),
        Row("produce", "--connection", "local", "--config", "/nonexistent/kafka.conf", "--topic", "t",
            says: "cannot read the configuration file: No such file or directory", "/nonexistent/kafka.conf"),
        Row("show", "status", "--config", "$DIR", says: "cannot read the configuration file: Is a directory"),
        Row("show", "status", "--config", "$LATIN1", says: "byte 0xE9 is not UTF-8 text", "kafka.conf:3:16"),
        Row("show", "status", "--config", "$BADTYPE", says: "unknown type 'cluster' in [a]", "kafka.conf:2"),
        Row("show", "status", "--config", "$BADPORT", says: "bad port 'x' in broker 'h:x'", "kafka.conf:3:13"),
        Row("show", "connection", "nope", "--config", "$CONF", says: "no connection named 'nope' (known: local)"),
        Row("test", "send", "connection", "nope", "topic", "t", "message", "m", "--config", "$CONF", says: "no connection named 'nope'"),
        Row("test", "send", "connection", "local", "topic", "t", "message", "m", "--config", "$DISABLED", says: "disabled"),
        .produce("-X", "no.such.property=1", says: "unknown configuration property \"no.such.property\"", "property no.such.property"),
        .produce("-X", "linger.ms=banana", says: "Invalid value", "property linger.ms"),
        .produce("-T", "-X", "delivery.report.only.error=true",
            says: "-T writes a record once its delivery is reported: it cannot be used with delivery.report.only.error=true"),
        .consume("-X", "session.timeout.ms=-5", says: "outside allowed range", "property session.timeout.ms"),
        Row("metadata", "--brokers", "127.0.0.1:1", "-X", "sasl.password=hunter2", "-X", "security.protocol=carrier-pigeon",
            says: "property security.protocol"),
        Row("publish", "nope", "m", "--config", "$CONF", says: "no broker ID 'nope' (known: k1)"),
        Row("event", "raise", "E_NOBODY", "--config", "$CONF", says: "nothing subscribes to E_NOBODY"),
    ]

    static let failureRows: [Row] = [
        .produce("/nonexistent/input", says: "cannot open /nonexistent/input: No such file or directory"),
        .produce("$DIR", says: "Is a directory"),
        .produce("-X", "message.max.bytes=1000", stdin: String(repeating: "a", count: 5000) + "\n",
            says: "not queued", "message of 5000 bytes", "larger than message.max.bytes (1000)", "sent 0, delivered 0, failed 1"),
        .produce("--json", stdin: "\n{\"value\":1}\n{}\n",
            says: "standard input line 2: column 10: value is a string or null; stopped reading there", "sent 0, delivered 0, failed 0"),
        Row("event", "raise", "E", "--socket", "kafka:127.0.0.1:1/t?g.no.such.property=1",
            says: "unknown configuration property \"no.such.property\"", "position 21"),
    ]

    @Test("usage errors exit 64 naming the argument", arguments: usageRows)
    func usage(_ row: Row) throws { try Self.check(row, exits: 64) }

    @Test("configuration errors exit 2 naming the file and line, the connection, broker ID or property", arguments: configurationRows)
    func configuration(_ row: Row) throws { try Self.check(row, exits: 2) }

    @Test("what cannot be done exits 1 naming the file or the record", arguments: failureRows)
    func failure(_ row: Row) throws { try Self.check(row, exits: 1) }

    /// Runs the binary on `row` (with a deadline): it must exit (not die by a signal) with
    /// `status`, stderr must hold each of the row's words, and never the password of a row.
    @discardableResult
    static func check(_ row: Row, exits status: Int32) throws -> RunningCLI.Finished {
        let files = try Files()
        let run = try RunningCLI(row.arguments.map(files.substitute), seconds: 60)
        run.write(row.stdin)
        run.closeInput()
        let finished = try run.finish()
        #expect(finished.reason == .exit, "ended by signal \(finished.status): \(finished.stderr)")
        #expect(finished.status == status, "status \(finished.status), stderr: \(finished.stderr)")
        for words in row.says {
            #expect(finished.stderr.contains(files.substitute(words)), "stderr: \(finished.stderr)")
        }
        #expect(!finished.stderr.contains("hunter2"))
        return finished
    }

    /// The kafka.conf files the rows name, in a fresh directory.
    struct Files {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-bad-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try write("CONF", "[general]\nenabled = yes\n[local]\ntype = connection\nbrokers = 127.0.0.1:1\nmessage_timeout_ms = 1000\n[k1]\ntype = broker\nsocket = 127.0.0.1:1/t\n")
            try write("DISABLED", "[general]\nenabled = no\n[local]\ntype = connection\n")
            try write("BADTYPE", "[a]\ntype = cluster\n")
            try write("BADPORT", "[a]\ntype = connection\nbrokers = h:x\n")
            try FileManager.default.createDirectory(at: path("LATIN1").deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(Array("[a]\ntype = connection\nclient_id = caf".utf8) + [0xE9, 0x0A]).write(to: path("LATIN1"))
        }

        func path(_ name: String) -> URL {
            directory.appendingPathComponent(name).appendingPathComponent("kafka.conf")
        }

        func write(_ name: String, _ text: String) throws {
            try FileManager.default.createDirectory(at: path(name).deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: path(name), atomically: true, encoding: .utf8)
        }

        func substitute(_ text: String) -> String {
            var text = text.replacingOccurrences(of: "$DIR", with: directory.path)
            for name in ["CONF", "DISABLED", "BADTYPE", "BADPORT", "LATIN1"] {
                text = text.replacingOccurrences(of: "$\(name)", with: path(name).path)
            }
            return text
        }
    }
}

@Suite("Bad input: the kafka command on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct CLIBadInputBrokerTests {
    @Test("a record over message.max.bytes fails alone: the records around it are delivered, and the command exits 1")
    func oversizeAmongOthers() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-big")
        try CLIBadInputTests.check(
            CLIBadInputTests.Row("produce", "--brokers", servers, "--topic", topic, "--partition", "0", "-X", "message.max.bytes=1000",
                                 stdin: "small\n" + String(repeating: "b", count: 5000) + "\nsmall too\n",
                                 says: "message of 5000 bytes", "sent 2, delivered 2, failed 1"),
            exits: 1)
        let read = try PlainConsumer.read(topic: topic, count: 2, bootstrapServers: servers)
        #expect(read.map(\.value) == [Array("small".utf8), Array("small too".utf8)])
    }

    @Test("an invalid topic name is refused before anything reaches the broker, even with empty input",
          arguments: ["in valid", "a/b", "..", ""], ["produce", "metadata"])
    func invalidTopicOnBroker(_ name: String, _ command: String) throws {
        let servers = try TestBroker.servers()
        try CLIBadInputTests.check(CLIBadInputTests.Row(command, "--brokers", servers, "--topic", name, says: "invalid topic name '\(name)'"), exits: 64)
    }
}
