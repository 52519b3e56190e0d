import Foundation
import KafkaKitTestSupport
import Testing

/// Issue 11, for the built `kafka` binary: every bad argument, file, name or property ends the
/// process by an exit status (never a signal, never a hang: each run has a deadline) that is
/// not 0, with a message on stderr naming the offending input.
@Suite("Bad input: the kafka command")
struct CLIBadInputTests {
    /// Arguments (`$CONF`: a good kafka.conf with a connection `local` and a broker ID `k1`;
    /// `$DISABLED`, `$LATIN1`, `$BADTYPE`, `$BADPORT`: broken ones; `$DIR`: a directory), the
    /// standard input, the exit status and words stderr must hold.
    struct Row: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var stdin = ""
        var status: Int32
        var says: [String]
        var testDescription: String { "kafka \(arguments.joined(separator: " ").prefix(90)) → \(status)" }
    }

    static let usageRows: [Row] = [
        Row(arguments: ["frobnicate"], status: 64, says: ["Unexpected argument 'frobnicate'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--bogus"], status: 64, says: ["Unknown option '--bogus'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "in valid"], status: 64, says: ["invalid topic name 'in valid': ' ' is not allowed"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", ""], status: 64, says: ["invalid topic name '': it is empty"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", ".."], status: 64, says: ["invalid topic name '..': it is '..'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", String(repeating: "x", count: 250)], status: 64, says: ["it has 250 characters"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "a/b"], status: 64, says: ["invalid topic name 'a/b': '/' is not allowed"]),
        Row(arguments: ["metadata", "--brokers", "127.0.0.1:1", "--topic", "in valid"], status: 64, says: ["invalid topic name 'in valid'"]),
        Row(arguments: ["topics", "create", "in valid", "--partitions", "1", "--brokers", "127.0.0.1:1"], status: 64, says: ["invalid topic name 'in valid'"]),
        Row(arguments: ["topics", "delete", "..", "--brokers", "127.0.0.1:1"], status: 64, says: ["invalid topic name '..'"]),
        Row(arguments: ["test", "send", "connection", "local", "topic", "in valid", "message", "m", "--config", "$CONF"], status: 64, says: ["invalid topic name 'in valid'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--partition", "abc"], status: 64, says: ["The value 'abc' is invalid for '--partition <partition>'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--partition", "-2"], status: 64, says: ["--partition must be 0 or more"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--partition", "2147483648"], status: 64, says: ["The value '2147483648' is invalid for '--partition <partition>'"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--partition", "-1"], status: 64, says: ["--partition must be 0 or more"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--count", "0"], status: 64, says: ["--count must be 1 or more"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--count", "-5"], status: 64, says: ["--count must be 1 or more"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--from", "yesterday"], status: 64, says: ["--from takes beginning, end, stored, OFFSET, -N, s@MS or @-DURATION, not 'yesterday'"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--group", ""], status: 64, says: ["--group must not be empty"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--group", "g", "--partition", "0"], status: 64, says: ["--partition cannot be used with --group"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--from", "stored"], status: 64, says: ["--from stored needs --group"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--delimiter", ""], status: 64, says: ["--delimiter must not be empty"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--key-delimiter", ""], status: 64, says: ["--key-delimiter must not be empty"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--header", "novalue"], status: 64, says: ["--header takes name=value, not 'novalue'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--header", "=v"], status: 64, says: ["--header takes name=value, not '=v'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "novalue"], status: 64, says: ["-X takes NAME=VALUE, not 'novalue'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "=1"], status: 64, says: ["-X takes NAME=VALUE, not '=1'"]),
        Row(arguments: ["produce", "--topic", "t"], status: 64, says: ["say which cluster: --connection NAME or --brokers HOST:PORT"]),
        Row(arguments: ["produce", "--connection", "local", "--brokers", "h:1", "--topic", "t"], status: 64, says: ["use either --connection or --brokers, not both"]),
        Row(arguments: ["produce", "--brokers", "", "--topic", "t"], status: 64, says: ["bad --brokers: the broker list is empty"]),
        Row(arguments: ["produce", "--brokers", "h:notaport", "--topic", "t"], status: 64, says: ["bad --brokers: bad port 'notaport' in broker 'h:notaport'", "  h:notaport\n    ^"]),
        Row(arguments: ["consume", "--brokers", "h:1,,:2", "--topic", "t"], status: 64, says: ["bad --brokers: missing host in broker ':2'"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--format", "%p %x"], status: 64,
            says: ["bad --format: unknown format token '%x' (known: %t %p %o %k %K %s %S %R %T %h %%) (at position 4)", "  %p %x\n     ^"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "-f", "%s\\q"], status: 64, says: ["bad --format: unknown escape '\\q'"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--json", "-J"], status: 64, says: ["choose one of --format, --json and -J (--kcat-json)"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--until", "s@5"], status: 64, says: ["--until takes a stop time: e@MS, @MS or @-DURATION"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--until", "tomorrow"], status: 64, says: ["bad --until: 'tomorrow' is not a time"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--from", "e@5"], status: 64, says: ["--from takes a start; e@MS is a stop: use --until e@5"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--from", "@-1x"], status: 64, says: ["bad --from: bad duration in '@-1x'"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--group", "g", "--from", "s@5"], status: 64, says: ["with --group, --from is beginning or end (a start time"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--null", "-", "--json"], status: 64, says: ["--null and -Z apply to plain and --format output"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "--null", "-", "-Z"], status: 64, says: ["use either --null TEXT or -Z, not both"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-D", "ab\\q"], status: 64, says: ["bad --delimiter: unknown escape '\\q' (known: \\n \\t \\r \\0 \\\\ \\xNN) at position 3"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-K", "\\x"], status: 64, says: ["bad --key-delimiter: \\x needs one or two hexadecimal digits"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--compression", "brotli"], status: 64, says: ["--compression takes none, gzip, snappy, lz4, zstd, not 'brotli'"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--json", "-K", ":"], status: 64, says: ["--key-delimiter cannot be used with --json"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--json", "-k", "k"], status: 64, says: ["--key cannot be used with --json"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--stop-timeout", "-1"], status: 64, says: ["--stop-timeout is 0 to 86400 seconds"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-c", "0"], status: 64, says: ["--count must be 1 or more"]),
        Row(arguments: ["topics", "create", "t", "--partitions", "0", "--brokers", "127.0.0.1:1"], status: 64, says: ["--partitions must be 1 or more"]),
        Row(arguments: ["topics", "create", "t", "--partitions", "-1", "--brokers", "127.0.0.1:1"], status: 64, says: ["--partitions must be 1 or more"]),
        Row(arguments: ["topics", "create", "t", "--partitions", "1", "--replication-factor", "0", "--brokers", "127.0.0.1:1"], status: 64, says: ["--replication-factor must be 1 or more"]),
        Row(arguments: ["topics", "create", "t", "--partitions", "1", "--topic-config", "novalue", "--brokers", "127.0.0.1:1"], status: 64, says: ["--topic-config takes name=value, not 'novalue'"]),
        Row(arguments: ["groups", "describe", "", "--brokers", "127.0.0.1:1"], status: 64, says: ["the group name is empty"]),
        Row(arguments: ["test", "send", "connection", "local", "topic"], status: 64, says: ["'topic' needs a value"]),
        Row(arguments: ["test", "send", "connection", "local", "topic", "t"], status: 64, says: ["missing 'message <value>'"]),
        Row(arguments: ["test", "send", "connection", "local", "colour", "blue"], status: 64, says: ["unexpected 'colour': expected connection, topic, message or key"]),
        Row(arguments: ["publish", "kafka:127.0.0.1:1/in valid", "m"], status: 64, says: ["bad socket: invalid character ' ' in topic 'in valid'"]),
        Row(arguments: ["publish", "[k1]h:x/t", "m"], status: 64, says: ["bad port 'x'"]),
        Row(arguments: ["event", "raise", "", "--dry-run"], status: 64, says: ["the event name is empty"]),
        Row(arguments: ["event", "raise", "E", "--params-json", #"{"a":"#, "--dry-run"], status: 64, says: ["bad --params-json: invalid JSON: expected a value (found the end)"]),
        Row(arguments: ["event", "raise", "E", "--params-json", "[1]", "--dry-run"], status: 64, says: ["--params-json must be a JSON object"]),
        Row(arguments: ["event", "raise", "E", "--param", "a:=tru", "--dry-run"], status: 64, says: ["bad --param a: invalid JSON: expected a value (found 'tru')"]),
        Row(arguments: ["event", "raise", "E", "--param", "novalue", "--dry-run"], status: 64, says: ["--param takes KEY=VALUE or KEY:=JSON, not 'novalue'"]),
        Row(arguments: ["event", "raise", "E", "--param", "=v", "--dry-run"], status: 64, says: ["--param '=v' has no key before '='"]),
        Row(arguments: ["event", "raise", "E", "--socket", "kafka:h:1", "--dry-run"], status: 64, says: ["bad --socket: missing '/TOPIC'"]),
    ]

    static let configurationRows: [Row] = [
        Row(arguments: ["produce", "--connection", "nope", "--config", "$CONF", "--topic", "t"], status: 2, says: ["no connection named 'nope' (known: local)"]),
        Row(arguments: ["produce", "--connection", "local", "--config", "/nonexistent/kafka.conf", "--topic", "t"], status: 2,
            says: ["cannot read the configuration file: No such file or directory", "/nonexistent/kafka.conf"]),
        Row(arguments: ["show", "status", "--config", "$DIR"], status: 2, says: ["cannot read the configuration file: Is a directory"]),
        Row(arguments: ["show", "status", "--config", "$LATIN1"], status: 2, says: ["byte 0xE9 is not UTF-8 text", "kafka.conf:3:16"]),
        Row(arguments: ["show", "status", "--config", "$BADTYPE"], status: 2, says: ["unknown type 'cluster' in [a]", "kafka.conf:2"]),
        Row(arguments: ["show", "status", "--config", "$BADPORT"], status: 2, says: ["bad port 'x' in broker 'h:x'", "kafka.conf:3:13"]),
        Row(arguments: ["show", "connection", "nope", "--config", "$CONF"], status: 2, says: ["no connection named 'nope' (known: local)"]),
        Row(arguments: ["test", "send", "connection", "nope", "topic", "t", "message", "m", "--config", "$CONF"], status: 2, says: ["no connection named 'nope'"]),
        Row(arguments: ["test", "send", "connection", "local", "topic", "t", "message", "m", "--config", "$DISABLED"], status: 2, says: ["disabled"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "no.such.property=1"], status: 2,
            says: ["unknown configuration property \"no.such.property\"", "property no.such.property"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "linger.ms=banana"], status: 2, says: ["Invalid value", "property linger.ms"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-T", "-X", "delivery.report.only.error=true"], status: 2,
            says: ["-T writes a record once its delivery is reported: it cannot be used with delivery.report.only.error=true"]),
        Row(arguments: ["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "session.timeout.ms=-5"], status: 2, says: ["outside allowed range", "property session.timeout.ms"]),
        Row(arguments: ["metadata", "--brokers", "127.0.0.1:1", "-X", "sasl.password=hunter2", "-X", "security.protocol=carrier-pigeon"], status: 2, says: ["property security.protocol"]),
        Row(arguments: ["publish", "nope", "m", "--config", "$CONF"], status: 2, says: ["no broker ID 'nope' (known: k1)"]),
        Row(arguments: ["event", "raise", "E_NOBODY", "--config", "$CONF"], status: 2, says: ["nothing subscribes to E_NOBODY"]),
    ]

    static let failureRows: [Row] = [
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "/nonexistent/input"], status: 1, says: ["cannot open /nonexistent/input: No such file or directory"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "$DIR"], status: 1, says: ["Is a directory"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "message.max.bytes=1000"], stdin: String(repeating: "a", count: 5000) + "\n",
            status: 1, says: ["not queued", "message of 5000 bytes", "larger than message.max.bytes (1000)", "sent 0, delivered 0, failed 1"]),
        Row(arguments: ["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "--json"], stdin: "\n{\"value\":1}\n{}\n", status: 1,
            says: ["standard input line 2: column 10: value is a string or null; stopped reading there", "sent 0, delivered 0, failed 0"]),
        Row(arguments: ["event", "raise", "E", "--socket", "kafka:127.0.0.1:1/t?g.no.such.property=1"], status: 1,
            says: ["unknown configuration property \"no.such.property\"", "position 21"]),
    ]

    @Test("usage errors exit 64 naming the argument", arguments: usageRows)
    func usage(_ row: Row) throws { try check(row) }

    @Test("configuration errors exit 2 naming the file and line, the connection, broker ID or property", arguments: configurationRows)
    func configuration(_ row: Row) throws { try check(row) }

    @Test("what cannot be done exits 1 naming the file or the record", arguments: failureRows)
    func failure(_ row: Row) throws { try check(row) }

    func check(_ row: Row) throws {
        let files = try Files()
        let arguments = row.arguments.map(files.substitute)
        let run = try RunningCLI(arguments, seconds: 60)
        run.write(row.stdin)
        run.closeInput()
        let finished = try run.finish()
        #expect(finished.reason == .exit, "ended by signal \(finished.status): \(finished.stderr)")
        #expect(finished.status == row.status, "status \(finished.status), stderr: \(finished.stderr)")
        for words in row.says {
            #expect(finished.stderr.contains(files.substitute(words)), "stderr: \(finished.stderr)")
        }
        #expect(!finished.stderr.contains("hunter2"))
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
        let run = try RunningCLI(["produce", "--brokers", servers, "--topic", topic, "--partition", "0", "-X", "message.max.bytes=1000"], seconds: 60)
        run.write("small\n" + String(repeating: "b", count: 5000) + "\nsmall too\n")
        run.closeInput()
        let finished = try run.finish()
        #expect(finished.reason == .exit && finished.status == 1, "\(finished.reason) \(finished.status): \(finished.stderr)")
        #expect(finished.stderr.contains("message of 5000 bytes"), "\(finished.stderr)")
        #expect(finished.stderr.contains("sent 2, delivered 2, failed 1"), "\(finished.stderr)")
        let read = try PlainConsumer.read(topic: topic, count: 2, bootstrapServers: servers)
        #expect(read.map(\.value) == [Array("small".utf8), Array("small too".utf8)])
    }

    @Test("an invalid topic name is refused before anything reaches the broker, even with empty input", arguments: ["in valid", "a/b", "..", ""])
    func invalidTopicOnBroker(_ name: String) throws {
        let servers = try TestBroker.servers()
        for arguments in [["produce", "--brokers", servers, "--topic", name], ["metadata", "--brokers", servers, "--topic", name]] {
            let run = try RunningCLI(arguments, seconds: 60)
            run.closeInput()
            let finished = try run.finish()
            #expect(finished.reason == .exit && finished.status == 64, "\(arguments): \(finished.status) \(finished.stderr)")
            #expect(finished.stderr.contains("invalid topic name '\(name)'"), "\(finished.stderr)")
        }
    }
}
