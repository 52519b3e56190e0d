import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// Runs the built `kafka` binary and captures what it prints.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Standard output as the bytes written (``stdout`` repairs what is not UTF-8).
        var stdoutBytes: [UInt8] = []
    }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kafka")
    }

    struct TimedOut: Error, CustomStringConvertible {
        let arguments: [String]
        var description: String { "kafka \(arguments.joined(separator: " ")) did not exit within its deadline (killed)" }
    }

    /// Runs `kafka`; a run past `seconds` is killed and reported as an error, never waited on forever.
    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], directory: URL? = nil, seconds: Double = 90) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["KAFKA_CONF"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        defer { watchdog.cancel() }
        if let stdin { writeToChild(input.fileHandleForWriting.fileDescriptor, Array(stdin)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL { throw TimedOut(arguments: arguments) }
        checkEnded(arguments, reason: process.terminationReason, status: process.terminationStatus, stderr: String(decoding: errData, as: UTF8.self))
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
            stdoutBytes: Array(outData))
    }

    /// What every run of `kafka` must do, whatever its test checks: end without crashing, and
    /// with every librdkafka client destroyed before it exits (the command says so otherwise).
    static func checkEnded(_ arguments: [String], reason: Process.TerminationReason, status: Int32, stderr: String) {
        let crashed = reason == .uncaughtSignal && [SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGTRAP, SIGFPE].contains(status)
        #expect(!crashed, "kafka \(arguments.joined(separator: " ")) crashed (signal \(status)): \(stderr)")
        #expect(!stderr.contains("still open at exit"), "kafka \(arguments.joined(separator: " ")) kept a client past its end: \(stderr)")
    }

    /// A configuration file in a fresh directory.
    static func configFile(_ text: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("kafka.conf")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

@Suite("kafka CLI without a broker")
struct CLIOfflineTests {
    static let seedSample = """
        [general]
        enabled = yes

        [my-kafka]
        type = connection
        brokers = kafka1:9092,kafka2:9092   ; Comma-separated broker list
        client_id = asterisk                 ; Client identifier sent to the broker
        message_max_bytes = 1000000          ; Maximum message size in bytes
        request_timeout_ms = 5000            ; Network request timeout
        message_timeout_ms = 300000          ; How long messages are buffered before
        """

    @Test("show status reproduces the seed's table and names the file used")
    func showStatus() throws {
        let file = try CLI.configFile(Self.seedSample)
        let result = try CLI.run(["show", "status", "--config", file.path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Connections:\nName            Brokers\nmy-kafka        kafka1:9092,kafka2:9092\n"), "\(result.stdout)")
        #expect(result.stdout.hasPrefix("Configuration file: \(file.path) (--config)"))
    }

    @Test("show connection reproduces the seed's block")
    func showConnection() throws {
        let file = try CLI.configFile(Self.seedSample)
        let result = try CLI.run(["show", "connection", "my-kafka", "--config", file.path])
        #expect(result.status == 0)
        #expect(result.stdout == """
            Name:              my-kafka
            Brokers:           kafka1:9092,kafka2:9092
            Client ID:         asterisk
            Message max bytes: 1000000
            Request timeout:   5000 ms
            Message timeout:   300000 ms

            """)
    }

    @Test("the file comes from --config, else KAFKA_CONF, else ./kafka.conf")
    func configPrecedence() throws {
        let viaEnv = try CLI.configFile(Self.seedSample)
        let env = try CLI.run(["show", "status"], environment: ["KAFKA_CONF": viaEnv.path])
        #expect(env.stdout.hasPrefix("Configuration file: \(viaEnv.path) (KAFKA_CONF)"))
        let local = try CLI.configFile(Self.seedSample)
        let cwd = try CLI.run(["show", "status"], directory: local.deletingLastPathComponent())
        #expect(cwd.stdout.hasPrefix("Configuration file: ./kafka.conf (default)"))
    }

    @Test("configuration errors exit 2 with the file, line or known names on stderr")
    func configurationErrors() throws {
        let bad = try CLI.configFile("[a]\ntype = cluster\n")
        let parse = try CLI.run(["show", "status", "--config", bad.path])
        #expect(parse.status == 2)
        #expect(parse.stderr.contains("\(bad.path):2") && parse.stderr.contains("unknown type 'cluster'"))
        let good = try CLI.configFile(Self.seedSample)
        let unknown = try CLI.run(["show", "connection", "other", "--config", good.path])
        #expect(unknown.status == 2 && unknown.stderr.contains("no connection named 'other' (known: my-kafka)"))
        let disabled = try CLI.configFile("[general]\nenabled = no\n[a]\ntype = connection\n")
        let send = try CLI.run(["test", "send", "connection", "a", "topic", "t", "message", "m", "--config", disabled.path])
        #expect(send.status == 2 && send.stderr.contains("disabled"))
    }

    @Test("usage errors exit 64 and say what was wrong")
    func usageErrors() throws {
        let noCluster = try CLI.run(["consume", "--topic", "x"])
        #expect(noCluster.status == 64 && noCluster.stderr.contains("--connection NAME or --brokers"))
        let badX = try CLI.run(["metadata", "--brokers", "h:1", "-X", "novalue"])
        #expect(badX.status == 64 && badX.stderr.contains("-X takes NAME=VALUE, not 'novalue'"))
        let badFrom = try CLI.run(["consume", "--brokers", "h:1", "--topic", "t", "--from", "yesterday"])
        #expect(badFrom.status == 64 && badFrom.stderr.contains("--from takes"))
        let badSend = try CLI.run(["test", "send", "connection", "a", "topic"])
        #expect(badSend.status == 64 && badSend.stderr.contains("'topic' needs a value"))
    }

    @Test("produce --help and consume --help explain every data-path option")
    func dataPathHelp() throws {
        let consume = try CLI.run(["consume", "--help"])
        for option in ["-t, --topic", "-p, --partition", "-o, --from", "--until", "-G, --group", "-c, --count", "-e, --exit-at-end",
                       "-f, --format", "--json", "-J, --kcat-json", "--null", "-Z", "-u, --unbuffered", "%t topic", "s@MS", "exits 0"] {
            #expect(consume.stdout.contains(option), "consume --help lacks \(option)")
        }
        let produce = try CLI.run(["produce", "--help"])
        for option in ["-t, --topic", "-p, --partition", "-D, --delimiter", "-K, --key-delimiter", "--header-delimiter", "-k, --key",
                       "-H, --header", "-l, --lines", "--json", "-Z, --tombstone, --empty-as-null", "-z, --compression", "-T, --tee",
                       "-c, --count", "--stop-timeout", "one record, its whole content", "--stop-timeout seconds"] {
            #expect(produce.stdout.contains(option), "produce --help lacks \(option)")
        }
    }

    @Test("help exists for every command")
    func help() throws {
        for command in [["--help"], ["produce", "--help"], ["consume", "--help"], ["show", "status", "--help"], ["topics", "create", "--help"], ["groups", "describe", "--help"]] {
            let result = try CLI.run(command)
            #expect(result.status == 0 && result.stdout.contains("USAGE"), "\(command)")
        }
    }
}

@Suite("kafka CLI on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct CLIBrokerTests {
    func localConfig(timeoutMs: Int = 30_000, brokers: String? = nil) throws -> URL {
        try CLI.configFile("[general]\nenabled = yes\n[local]\ntype = connection\nbrokers = \(try brokers ?? TestBroker.servers())\nmessage_timeout_ms = \(timeoutMs)\n")
    }

    @Test("test send prints the seed's message only after the broker acknowledged")
    func testSend() throws {
        let topic = TestBroker.freshTopic("cli-send")
        let result = try CLI.run(["test", "send", "connection", "local", "topic", topic, "message", "hello world", "key", "my-key", "--config", try localConfig().path])
        #expect(result.status == 0)
        #expect(result.stdout == "Message sent successfully\n")
        let read = try PlainConsumer.read(topic: topic, count: 1, bootstrapServers: try TestBroker.servers())
        #expect(read.first?.value == Array("hello world".utf8) && read.first?.key == Array("my-key".utf8))
    }

    @Test("test send to an unreachable broker fails within the connection's message timeout")
    func testSendFails() throws {
        let config = try localConfig(timeoutMs: 1500, brokers: "127.0.0.1:1")
        let result = try CLI.run(["test", "send", "connection", "local", "topic", "t", "message", "m", "--config", config.path])
        #expect(result.status == 1)
        #expect(!result.stdout.contains("Message sent successfully"))
        #expect(result.stderr.contains("_MSG_TIMED_OUT"), "\(result.stderr)")
    }

    @Test("produce then consume --json round-trips keys, values, headers; non-UTF-8 is base64")
    func produceConsume() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-produce")
        var input = (0..<1000).map { "k\($0)|value \($0)" }.joined(separator: "\n") + "\n"
        input += "binary|"
        var data = Data(input.utf8)
        data.append(contentsOf: [0xff, 0xfe, 0x0a])
        let produced = try CLI.run(["produce", "--brokers", servers, "--topic", topic, "--key-delimiter", "|", "--header", "src=cli", "--header", "run=1"], stdin: data)
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stderr.contains("sent 1001, delivered 1001, failed 0"), "\(produced.stderr)")

        let consumed = try CLI.run(["consume", "--brokers", servers, "--topic", topic, "--exit-at-end", "--json"])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let lines = consumed.stdout.split(separator: "\n")
        #expect(lines.count == 1001)
        var values: [String: String] = [:]
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["topic"] as? String == topic)
            #expect(object["partition"] is Int && object["offset"] is Int && object["timestamp"] is Int)
            let headers = try #require(object["headers"] as? [[String: Any]])
            #expect(headers.map { $0["key"] as? String } == ["src", "run"] && headers.map { $0["value"] as? String } == ["cli", "1"])
            let key = try #require(object["key"] as? String)
            if let value = object["value"] as? String { values[key] = value } else {
                values[key] = "base64:" + ((object["value_base64"] as? String) ?? "missing")
            }
        }
        #expect(values["k0"] == "value 0" && values["k999"] == "value 999")
        #expect(values["binary"] == "base64:" + Data([0xff, 0xfe]).base64EncodedString())
    }

    @Test("consume a partition from -N with --count, plain values")
    func consumeTail() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-tail")
        let input = (0..<10).map { "line \($0)" }.joined(separator: "\n")
        // One record per batch: Tansu 0.6.0 counts its high watermark in batches, and -N is
        // measured back from it.
        let produced = try CLI.run(["produce", "--brokers", servers, "--topic", topic, "--partition", "0", "-X", "batch.num.messages=1"], stdin: Data(input.utf8))
        #expect(produced.status == 0)
        let tail = try CLI.run(["consume", "--brokers", servers, "--topic", topic, "--partition", "0", "--from", "-3", "--count", "2"])
        #expect(tail.status == 0)
        #expect(tail.stdout == "line 7\nline 8\n")
        let at = try CLI.run(["consume", "--brokers", servers, "--topic", topic, "--partition", "0", "--from", "5", "--exit-at-end"])
        #expect(at.stdout == "line 5\nline 6\nline 7\nline 8\nline 9\n")
    }

    @Test("admin commands exit cleanly, run after run (a client released on a helper thread during exit crashed ~1 in 30)")
    func adminExitsCleanly() throws {
        let servers = try TestBroker.servers()
        for run in 0..<50 {
            let created = try CLI.run(["topics", "create", TestBroker.freshTopic("cli-exit"), "--partitions", "1", "--brokers", servers])
            #expect(created.status == 0, "run \(run): status \(created.status), stderr \(created.stderr)")
        }
    }

    @Test("topics create, list, metadata --json and delete")
    func topicsAndMetadata() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-topic")
        let created = try CLI.run(["topics", "create", topic, "--partitions", "3", "--brokers", servers])
        #expect(created.status == 0 && created.stdout == "Topic \(topic) created with 3 partitions\n", "status \(created.status), stderr \(created.stderr)")
        let again = try CLI.run(["topics", "create", topic, "--partitions", "3", "--brokers", servers])
        #expect(again.status == 1 && again.stderr.contains("TOPIC_ALREADY_EXISTS"))
        let list = try CLI.run(["topics", "list", "--brokers", servers])
        #expect(list.stdout.contains("\(topic)\t3\n"))
        let metadata = try CLI.run(["metadata", "--brokers", servers, "--topic", topic, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(metadata.stdout.utf8)) as? [String: Any])
        let topics = try #require(object["topics"] as? [[String: Any]])
        #expect((topics.first?["partitions"] as? [Any])?.count == 3)
        #expect(((object["brokers"] as? [[String: Any]])?.first?["controller"] as? Bool) == true)
        let deleted = try CLI.run(["topics", "delete", topic, "--brokers", servers])
        #expect(deleted.status == 0)
    }

    @Test("groups list and describe show a group's committed offsets and lag")
    func groups() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-group")
        let group = "cli-group-\(UUID().uuidString)"
        _ = try CLI.run(["produce", "--brokers", servers, "--topic", topic, "--partition", "0"], stdin: Data("a\nb\nc\nd\n".utf8))
        let consumed = try CLI.run(["consume", "--brokers", servers, "--topic", topic, "--group", group, "--count", "2",
                                    "-X", "session.timeout.ms=6000", "-X", "enable.auto.commit=true", "-X", "auto.commit.interval.ms=100"])
        #expect(consumed.status == 0)
        let list = try CLI.run(["groups", "list", "--brokers", servers])
        #expect(list.stdout.contains(group))
        let describe = try CLI.run(["groups", "describe", group, "--brokers", servers])
        #expect(describe.status == 0, "\(describe.stderr)")
        #expect(describe.stdout.contains(topic))
    }
}
