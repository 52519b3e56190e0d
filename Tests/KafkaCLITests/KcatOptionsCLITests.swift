import Foundation
import KafkaKit
import Testing

/// kcat's global options on the built binary, without a broker: -V, -X list, -X dump, -F and
/// the kcat files, -d, -v, -q; and every admin command's help and usage errors.
@Suite("kafka: -V, -X list/dump, kcat files, -d/-v/-q, help and usage errors")
struct KcatOptionsCLITests {
    /// A fresh directory with `name` holding `text`.
    func file(_ name: String, _ text: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-kcat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// `-X dump`'s `name = value` lines as a dictionary (the global ones).
    func dump(_ arguments: [String], environment: [String: String] = [:]) throws -> (CLI.Result, [String: String]) {
        let result = try CLI.run(["metadata"] + arguments + ["-X", "dump"], environment: ["HOME": "/nonexistent"].merging(environment) { $1 })
        var values: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            if line == "# Topic config" { break }
            let parts = line.split(separator: " = ", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        return (result, values)
    }

    @Test("-V prints KafkaKit's version and the loaded librdkafka's")
    func versions() throws {
        let result = try CLI.run(["-V"])
        #expect(result.status == 0)
        #expect(result.stdout == "kafka (KafkaKit) \(KafkaVersion.kafkaKit)\nlibrdkafka \(KafkaVersion.librdkafka)\n")
        #expect(try CLI.run(["--version"]).stdout == result.stdout)
    }

    @Test("kcat's -b names the brokers (as --brokers) on every command; metadata takes -t for its topic")
    func shortBrokersOption() throws {
        for command in [["metadata", "-t", "orders"], ["produce", "-t", "orders"], ["consume", "-t", "orders"], ["topics", "list"], ["groups", "list"]] {
            let result = try CLI.run(command + ["-b", "broker-b.example:9092", "-X", "dump"], environment: ["HOME": "/nonexistent"])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(result.stdout.contains("metadata.broker.list = broker-b.example:9092"), "\(command): \(result.stdout.prefix(300))")
        }
    }

    @Test("-X list prints librdkafka's own property table, before a command or in one; --output json one array")
    func propertyList() throws {
        let text = try CLI.run(["-X", "list"])
        #expect(text.status == 0 && text.stdout == KafkaConfiguration.librdkafkaPropertyTable)
        #expect(text.stdout.contains("bootstrap.servers") && text.stdout.contains("## Topic configuration properties"))
        let inCommand = try CLI.run(["metadata", "-X", "list"])
        #expect(inCommand.status == 0 && inCommand.stdout == text.stdout, "\(inCommand.stderr)")
        let json = try CLI.run(["-X", "list", "--output", "json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(array.count == KafkaConfiguration.librdkafkaProperties.count)
        let servers = try #require(array.first { $0["name"] as? String == "bootstrap.servers" })
        #expect(servers["alias_of"] as? String == "metadata.broker.list" && servers["scope"] as? String == "global")
        #expect(servers["importance"] as? String == "high" && servers["type"] as? String == "string")
        let bad = try CLI.run(["-X", "nonsense"])
        #expect(bad.status == 64)
    }

    @Test("-X dump prints the effective configuration, defaults included, secrets redacted, and exits")
    func dumpRedacts() throws {
        let (result, values) = try dump(["--brokers", "h:1", "-X", "client.id=dumped", "-X", "sasl.password=hunter2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("# Global config\n") && result.stdout.contains("\n# Topic config\n"))
        #expect(values["metadata.broker.list"] == "h:1" && values["client.id"] == "dumped" && values["socket.timeout.ms"] == "60000")
        #expect(values["sasl.password"] == "[redacted]")
        #expect(!result.stdout.contains("hunter2") && !result.stderr.contains("hunter2"))
        #expect(result.stdout.contains("partitioner = murmur2_random"))
        let bad = try CLI.run(["metadata", "--brokers", "h:1", "-X", "no.such.property=1", "-X", "dump"])
        #expect(bad.status == 2 && bad.stderr.contains("no.such.property"), "\(bad.stderr)")
    }

    @Test("a kcat file (-F, $KCAT_CONFIG, ~/.config/kcat.conf) supplies brokers and properties; kafka.conf, --brokers and -X win over it")
    func kcatFile() throws {
        let kcat = try file("kcat.conf", "# kcat settings\nbootstrap.servers=from-kcat:9092\nclient.id = from-kcat\nlinger.ms=77\nsasl.password=s3cret\npartitioner=fnv1a\n")
        let (viaF, f) = try dump(["-F", kcat.path])
        #expect(viaF.status == 0, "\(viaF.stderr)")
        #expect(f["metadata.broker.list"] == "from-kcat:9092" && f["client.id"] == "from-kcat" && f["queue.buffering.max.ms"] == "77")
        #expect(f["sasl.password"] == "[redacted]" && !viaF.stdout.contains("s3cret"))
        #expect(viaF.stdout.contains("partitioner = fnv1a"), "the file's partitioner beats KafkaKit's default")

        let (viaEnv, env) = try dump([], environment: ["KCAT_CONFIG": kcat.path])
        #expect(viaEnv.status == 0 && env["client.id"] == "from-kcat", "\(viaEnv.stderr)")
        let home = kcat.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".config"), withIntermediateDirectories: true)
        try "bootstrap.servers=from-home:1\n".write(to: home.appendingPathComponent(".config/kcat.conf"), atomically: true, encoding: .utf8)
        let (viaHome, homeValues) = try dump([], environment: ["HOME": home.path])
        #expect(viaHome.status == 0 && homeValues["metadata.broker.list"] == "from-home:1", "\(viaHome.stderr)")
        let (fFirst, fValues) = try dump(["-F", kcat.path], environment: ["HOME": home.path, "KCAT_CONFIG": "/nonexistent/kcat.conf"])
        #expect(fFirst.status == 0 && fValues["metadata.broker.list"] == "from-kcat:9092", "-F beats $KCAT_CONFIG and ~/.config")

        let (brokers, b) = try dump(["-F", kcat.path, "--brokers", "given:1", "-X", "linger.ms=5"])
        #expect(brokers.status == 0 && b["metadata.broker.list"] == "given:1" && b["queue.buffering.max.ms"] == "5" && b["client.id"] == "from-kcat")
        let conf = try CLI.configFile("[c]\ntype = connection\nbrokers = conf:1\nclient_id = from-conf\nqueue.buffering.max.ms = 9\n")
        let (connection, c) = try dump(["--config", conf.path, "--connection", "c", "-F", kcat.path])
        #expect(connection.status == 0, "\(connection.stderr)")
        #expect(c["metadata.broker.list"] == "conf:1" && c["client.id"] == "from-conf")
        #expect(c["queue.buffering.max.ms"] == "9", "kafka.conf's queue.buffering.max.ms beats the file's linger.ms, its alias: \(c["queue.buffering.max.ms"] ?? "-")")
    }

    @Test("a bad kcat file is a configuration error naming the file and line, never the line's text")
    func badKcatFile() throws {
        let bad = try file("kcat.conf", "bootstrap.servers=h:1\nsasl.password hunter2\n")
        let result = try CLI.run(["metadata", "-F", bad.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(bad.path):2: expected property=value"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"))
        let missing = try CLI.run(["metadata", "-F", "/nonexistent/kcat.conf"])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read the kcat configuration file /nonexistent/kcat.conf"))
        let none = try CLI.run(["metadata"], environment: ["HOME": "/nonexistent"])
        #expect(none.status == 64 && none.stderr.contains("bootstrap.servers in a kcat configuration file"))
    }

    @Test("-v shows librdkafka's log lines on stderr, -d its debug lines; without them it stays quiet; -q with -v is refused")
    func verbosity() throws {
        let unreachable = ["offsets", "t", "--brokers", "127.0.0.1:1", "--timeout", "2"]
        let quiet = try CLI.run(unreachable)
        #expect(quiet.status == 1 && !quiet.stderr.contains("kafka.facility="), "\(quiet.stderr)")
        let verbose = try CLI.run(unreachable + ["-v"])
        #expect(verbose.status == 1 && verbose.stderr.contains("kafka.facility=FAIL") && verbose.stderr.contains("Connection refused"), "\(verbose.stderr)")
        #expect(!verbose.stderr.contains("debug kafka"))
        // Debug lines can fill a pipe before the command ends: read as they come.
        let debugging = try RunningCLI(unreachable + ["-d", "broker"])
        debugging.closeInput()
        let debug = try debugging.finish()
        #expect(debug.stderr.contains("debug kafka") && debug.stderr.contains("kafka.facility="), "\(debug.stderr.prefix(500))")
        // consume and produce log the same way.
        let produce = try CLI.run(["produce", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "message.timeout.ms=1000", "-v"], stdin: Data("a\n".utf8))
        #expect(produce.status == 1 && produce.stderr.contains("kafka.facility=FAIL"), "\(produce.stderr)")
        let consume = try CLI.run(["consume", "--brokers", "127.0.0.1:1", "--topic", "t", "-v"])
        #expect(consume.status == 1 && consume.stderr.contains("kafka.facility=FAIL"), "\(consume.stderr)")
        let both = try CLI.run(unreachable + ["-q", "-v"])
        #expect(both.status == 64 && both.stderr.contains("either -q or -v"))
        let badDebug = try CLI.run(unreachable + ["-d", "nonsense"])
        #expect(badDebug.status == 2 && badDebug.stderr.contains("debug"), "\(badDebug.stderr)")
    }

    @Test("show status and show connection --output json, secrets redacted")
    func showJSON() throws {
        let conf = try CLI.configFile("[general]\nenabled = yes\n[c]\ntype = connection\nbrokers = a:1,b:2\nclient_id = me\nsasl.password = hunter2\n")
        let status = try CLI.run(["show", "status", "--config", conf.path, "--output", "json"])
        #expect(status.status == 0, "\(status.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(object["file"] as? String == conf.path && object["source"] as? String == "--config" && object["enabled"] as? Bool == true)
        #expect((object["connections"] as? [[String: Any]])?.first?["brokers"] as? [String] == ["a:1", "b:2"])
        let connection = try CLI.run(["show", "connection", "c", "--config", conf.path, "--output", "json"])
        let c = try #require(try JSONSerialization.jsonObject(with: Data(connection.stdout.utf8)) as? [String: Any])
        #expect(c["client_id"] as? String == "me" && c["message_max_bytes"] as? Int == 1_000_000 && c["request_timeout_ms"] as? Int == 5000)
        #expect((c["properties"] as? [String: Any])?["sasl.password"] as? String == "[redacted]")
        #expect(!connection.stdout.contains("hunter2"))
    }

    @Test("every admin command and option has help")
    func help() throws {
        let commands: [([String], [String])] = [
            (["offsets"], ["--at", "--output", "--timeout", "-F", "-d", "-v", "-q", "-X"]),
            (["records", "delete"], ["--before", "--output"]),
            (["mock"], ["--brokers", "--topic", "--output"]),
            (["groups", "list"], ["--output"]),
            (["groups", "describe"], ["--output", "--timeout"]),
            (["groups", "lag"], ["--output"]),
            (["groups", "reset-offsets"], ["--topic", "--all-topics", "--to-earliest", "--to-latest", "--to-offset", "--to-time", "--shift-by", "--execute", "--output"]),
            (["groups", "delete"], ["--timeout"]),
            (["groups", "delete-offsets"], ["--topic"]),
            (["topics", "list"], ["--output"]),
            (["topics", "describe"], ["--all-configs", "--no-configs", "--output"]),
            (["topics", "alter-config"], ["--set", "--delete", "--append", "--subtract"]),
            (["topics", "add-partitions"], ["--partitions"]),
            (["metadata"], ["--output", "--json"]),
            (["show", "status"], ["--output"]),
            (["show", "connection"], ["--output"]),
            (["publish"], ["--output", "--json"]),
            (["event", "raise"], ["--output"]),
            ([], ["--version"]),
        ]
        for (command, options) in commands {
            let result = try CLI.run(command + ["--help"])
            #expect(result.status == 0 && result.stdout.contains("USAGE"), "\(command)")
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            for option in options {
                // The option's entry: its label, then its description (on the same line, or the
                // next when the label is long).
                let index = lines.firstIndex { $0.hasPrefix(option + " ") || $0 == option || $0.contains(", " + option + " ") || $0.hasSuffix(", " + option) }
                guard let index else {
                    Issue.record("\(command): no entry for \(option)")
                    continue
                }
                let sameLine = lines[index].components(separatedBy: "  ").filter { !$0.isEmpty }.dropFirst().joined()
                let description = sameLine.isEmpty && index + 1 < lines.count ? lines[index + 1] : sameLine
                #expect(description.split(separator: " ").count >= 3, "\(command) \(option): '\(lines[index])' / '\(description)'")
            }
        }
    }

    @Test("usage errors of the admin commands exit 64 and say what was wrong, before any connection")
    func usageErrors() throws {
        let b = ["--brokers", "127.0.0.1:1"]
        let cases: [([String], String)] = [
            (["offsets", "t", "--at", "yesterday"] + b, "'yesterday' is not a time"),
            (["offsets", "t:x"] + b, "'x' in 't:x' is not a partition number"),
            (["offsets"] + b, "Missing expected argument '<topic[:partitions]> ...'"),
            (["offsets", "bad topic"] + b, "invalid topic name"),
            (["groups", "reset-offsets", "g", "--topic", "t"] + b, "say where to move the offsets"),
            (["groups", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest"] + b, "say where to move the offsets, once"),
            (["groups", "reset-offsets", "g", "--to-earliest"] + b, "say which partitions"),
            (["groups", "reset-offsets", "g", "--topic", "t", "--all-topics", "--to-earliest"] + b, "say which partitions"),
            (["groups", "reset-offsets", "g", "--topic", "t", "--to-offset", "-1"] + b, "--to-offset must be 0 or more"),
            (["groups", "reset-offsets", "g", "--topic", "t", "--to-time", "soon"] + b, "bad --to-time"),
            (["groups", "delete"] + b, "Missing expected argument '<groups> ...'"),
            (["groups", "delete-offsets", "g"] + b, "--topic TOPIC"),
            (["records", "delete", "t:0", "--before", "-5"] + b, "--before takes an offset"),
            (["records", "delete", "t:0"] + b, "--before"),
            (["topics", "alter-config", "t"] + b, "say what to change"),
            (["topics", "alter-config", "t", "--set", "novalue"] + b, "--set takes name=value"),
            (["topics", "alter-config", "t", "--set", "a=1", "--delete", "a"] + b, "a is changed twice"),
            (["topics", "add-partitions", "t", "--partitions", "1"] + b, "--partitions is the new total"),
            (["topics", "describe", "t", "--all-configs", "--no-configs"] + b, "either --all-configs or --no-configs"),
            (["groups", "lag", "--timeout", "0"] + b, "--timeout takes seconds"),
            (["groups", "list", "--output", "yaml"] + b, "yaml"),
            (["mock", "--topic", "x"], "NAME:PARTITIONS"),
            (["mock", "--topic", "x:0"], "NAME:PARTITIONS"),
            (["mock", "--topic", "x:1:2"], "needs as many brokers"),
            (["mock", "--brokers", "0"], "--brokers takes 1 to 1000"),
        ]
        for (arguments, message) in cases {
            let result = try CLI.run(arguments, seconds: 30)
            #expect(result.status == 64 && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
        }
    }
}
