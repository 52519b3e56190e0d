import Foundation
import KafkaKit
import KafkaKitEvents
import KafkaKitTestSupport
import Testing

/// The line under an echoed argument pointing at a 1-based position (after the two-space indent).
func caret(_ position: Int) -> String { String(repeating: " ", count: position + 1) + "^" }

@Suite("kafka publish and kafka event raise without a broker")
struct PublishCLIOfflineTests {
    @Test("a malformed socket, spec, JSON or param is a usage error (64) pointing at the offending part")
    func usageErrors() throws {
        let badSocket = try CLI.run(["publish", "kafka:127.0.0.1:x/t", "hi"])
        #expect(badSocket.status == 64)
        #expect(badSocket.stderr.contains("bad socket: bad port 'x' in broker '127.0.0.1:x' (expected a number from 1 to 65535)\n  kafka:127.0.0.1:x/t\n" + caret(17)), "\(badSocket.stderr)")

        let badSpec = try CLI.run(["publish", "[k1]127.0.0.1:9092/topic1?acks=all", "hi"])
        #expect(badSpec.status == 64)
        #expect(badSpec.stderr.contains("so write 't.acks'"), "\(badSpec.stderr)")

        let badJSON = try CLI.run(["event", "raise", "E_X", "--params-json", #"{"a":}"#, "--dry-run"])
        #expect(badJSON.status == 64)
        #expect(badJSON.stderr.contains("invalid JSON: expected a value") && badJSON.stderr.contains("  {\"a\":}\n" + caret(6)), "\(badJSON.stderr)")

        let notObject = try CLI.run(["event", "raise", "E_X", "--params-json", "[1]", "--dry-run"])
        #expect(notObject.status == 64 && notObject.stderr.contains("must be a JSON object"))

        let badParam = try CLI.run(["event", "raise", "E_X", "--param", "novalue", "--dry-run"])
        #expect(badParam.status == 64 && badParam.stderr.contains("KEY=VALUE or KEY:=JSON"), "\(badParam.stderr)")

        let badSocketOption = try CLI.run(["event", "raise", "E_X", "--socket", "kafka:h:1/t?foo=1"])
        #expect(badSocketOption.status == 64 && badSocketOption.stderr.contains("unknown extra 'foo'"), "\(badSocketOption.stderr)")

        let secret = try CLI.run(["publish", "kafka:h:1/t?g.sasl.password=hunter2&oops", "hi"])
        #expect(secret.status == 64)
        #expect(!secret.stderr.contains("hunter2"), "secrets never appear in output: \(secret.stderr)")
        #expect(secret.stderr.contains("(at position 37)"), "\(secret.stderr)")
    }

    @Test("a secret in a target is never echoed: without kafka:, percent-encoded names, items without '='")
    func secretsNeverEchoed() throws {
        for target in [
            "127.0.0.1:9092/t?g.sasl.password=hunter2&oops",
            "kafka:h:9092/t?g.sasl.pass%77ord=hunter2&oops",
            "kafka:h:9092/t?g.sasl.password:hunter2",
            "[k]h:9092/t?g.ssl.key.password=hunter2&x",
        ] {
            let result = try CLI.run(["publish", target, "hi"])
            #expect(result.status == 64, "\(target): \(result.stderr)")
            #expect(!result.stderr.contains("hunter2") && !result.stdout.contains("hunter2"), "\(target): \(result.stderr)")
        }
        // Without a secret, a bare BROKERS/TOPIC target is a socket and errors point into it.
        let bare = try CLI.run(["publish", "127.0.0.1:x/t", "hi"])
        #expect(bare.status == 64 && bare.stderr.contains("  127.0.0.1:x/t\n" + caret(11)), "\(bare.stderr)")
    }

    @Test("--param replaces every member of its key from --params-json; an out-of-range number is a usage error")
    func paramDetails() throws {
        let merged = try CLI.run(["event", "raise", "E", "--params-json", #"{"ip":"y","n":1,"ip":"x"}"#, "--param", "ip=z", "--dry-run"])
        #expect(merged.stdout == #"{"jsonrpc":"2.0","method":"E","params":{"ip":"z","n":1}}"# + "\n", "\(merged.stdout)")
        let big = try CLI.run(["event", "raise", "E", "--param", "big:=1e400", "--dry-run"])
        #expect(big.status == 64 && big.stderr.contains("number out of range"), "\(big.stderr)")
    }

    @Test("--dry-run prints the JSON-RPC notification; --param strings, := JSON values, --params-json merged in order")
    func dryRun() throws {
        let seed = try CLI.run(["event", "raise", "E_PIKE_BLOCKED", "--param", "ip=192.168.2.11", "--dry-run"])
        #expect(seed.status == 0)
        #expect(seed.stdout == #"{"jsonrpc":"2.0","method":"E_PIKE_BLOCKED","params":{"ip":"192.168.2.11"}}"# + "\n")

        let mixed = try CLI.run([
            "event", "raise", "E_MIX", "--params-json", #"{"ip":"x","list":[1,2]}"#,
            "--param", "ip=10.0.0.1", "--param", "count:=3", "--param", "ok:=true", "--param", "eq=a=b", "--dry-run",
        ])
        #expect(mixed.stdout == #"{"jsonrpc":"2.0","method":"E_MIX","params":{"ip":"10.0.0.1","list":[1,2],"count":3,"ok":true,"eq":"a=b"}}"# + "\n", "\(mixed.stdout)")
    }

    @Test("an unknown broker ID, a missing subscription and a rejected property are configuration errors (2)")
    func configurationErrors() throws {
        let file = try CLI.configFile("[k1]\ntype = broker\nsocket = 127.0.0.1:1/t\n")
        let unknown = try CLI.run(["publish", "k9", "hi", "--config", file.path])
        #expect(unknown.status == 2 && unknown.stderr.contains("no broker ID 'k9'") && unknown.stderr.contains("(known: k1)"), "\(unknown.stderr)")

        let unsubscribed = try CLI.run(["event", "raise", "E_NONE", "--config", file.path])
        #expect(unsubscribed.status == 2 && unsubscribed.stderr.contains("nothing subscribes to E_NONE"), "\(unsubscribed.stderr)")

        let rejected = try CLI.run(["publish", "kafka:127.0.0.1:1/t?t.acks=all&g.linger.ms=soon", "hi"])
        #expect(rejected.status == 2)
        #expect(rejected.stderr.contains("\n  kafka:127.0.0.1:1/t?t.acks=all&g.linger.ms=soon\n" + caret(32)), "\(rejected.stderr)")

        let badFile = try CLI.configFile("[k1]\ntype = broker\nsocket = 127.0.0.1:99999/t\n")
        let parse = try CLI.run(["publish", "k1", "hi", "--config", badFile.path])
        #expect(parse.status == 2 && parse.stderr.contains("\(badFile.path):3:20") && parse.stderr.contains("bad port '99999'"), "\(parse.stderr)")
    }

    @Test("show status lists broker IDs and subscriptions after the seed's table")
    func showStatus() throws {
        let file = try CLI.configFile("""
            [k1]
            type = broker
            socket = 127.0.0.1:9092/topic1?g.linger.ms=100&t.acks=all&g.sasl.password=hunter2
            [pike]
            type = subscription
            event = E_PIKE_BLOCKED
            socket = kafka:127.0.0.1:9092/security?key=callid
            """)
        let status = try CLI.run(["show", "status", "--config", file.path])
        #expect(status.status == 0)
        #expect(status.stdout.contains("Brokers:\nID              Socket\nk1              kafka:127.0.0.1:9092/topic1?g.linger.ms=100&t.acks=all&g.sasl.password=[redacted]\n"), "\(status.stdout)")
        #expect(status.stdout.contains("Subscriptions:\nEvent           Socket\nE_PIKE_BLOCKED  kafka:127.0.0.1:9092/security?key=callid\n"))
        #expect(!status.stdout.contains("hunter2"))
    }

    @Test("show connection never prints a secret property")
    func showConnectionRedacts() throws {
        let file = try CLI.configFile("[c]\ntype = connection\nsasl.password = hunter2\nsasl.username = me\n")
        let shown = try CLI.run(["show", "connection", "c", "--config", file.path])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("sasl.password:     [redacted]") && shown.stdout.contains("sasl.username:     me"), "\(shown.stdout)")
        #expect(!shown.stdout.contains("hunter2"))
    }
}

@Suite("kafka publish and kafka event raise on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct PublishCLITests {
    @Test("publish to a broker ID from kafka.conf, a socket and a whole [ID] spec; --wait prints the report")
    func publish() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-publish")
        let file = try CLI.configFile("[k1]\ntype = broker\nsocket = \(servers)/\(topic)?g.linger.ms=100&t.acks=all\n")

        let byID = try CLI.run(["publish", "k1", "from-id", "--key", "c1", "--config", file.path, "--wait"])
        #expect(byID.status == 0, "\(byID.stderr)")
        #expect(byID.stdout.hasPrefix("Message delivered to k1: topic \(topic), partition "), "\(byID.stdout)")

        let quiet = try CLI.run(["publish", "kafka:\(servers)/\(topic)", "from-socket"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty, "silent on delivery: \(quiet.stdout) \(quiet.stderr)")

        let spec = try CLI.run(["publish", "[k2]\(servers)/\(topic)?g.linger.ms=100&t.acks=all", "-", "--wait", "--json"], stdin: Data("from-stdin".utf8))
        #expect(spec.status == 0, "\(spec.stderr)")
        let report = try KafkaJSON(parsing: spec.stdout.trimmingCharacters(in: .newlines))
        #expect(report["broker"] == "k2" && report["status"] == 0 && report["topic"] == .string(topic) && report["message"] == "from-stdin")
        #expect(report["key"] == .null)

        let records = try PlainConsumer.read(topic: topic, count: 3, bootstrapServers: servers)
        let byValue = Dictionary(uniqueKeysWithValues: records.map { (String(decoding: $0.value ?? [], as: UTF8.self), $0) })
        #expect(Set(byValue.keys) == ["from-id", "from-socket", "from-stdin"])
        #expect(byValue["from-id"]?.key == Array("c1".utf8))
    }

    @Test("an undelivered message exits 1 within the socket's t.message.timeout.ms, with the report and the reason")
    func publishFails() throws {
        let failed = try CLI.run(["publish", "kafka:127.0.0.1:1/t?t.message.timeout.ms=1000", "hi", "--wait", "--json"], seconds: 30)
        #expect(failed.status == 1)
        let report = try KafkaJSON(parsing: failed.stdout.trimmingCharacters(in: .newlines))
        #expect(report["status"] == -1 && report["error"] == "_MSG_TIMED_OUT", "\(failed.stdout)")
        #expect(failed.stderr.contains("message not delivered") && failed.stderr.contains("_MSG_TIMED_OUT"), "\(failed.stderr)")
    }

    @Test("event raise publishes to the subscriptions in kafka.conf; key=callid carries --key; one line per socket")
    func raiseFromSubscriptions() throws {
        let servers = try TestBroker.servers()
        let keyed = TestBroker.freshTopic("cli-keyed"), plain = TestBroker.freshTopic("cli-plain")
        let file = try CLI.configFile("""
            [pike]
            type = subscription
            event = E_PIKE_BLOCKED
            socket = kafka:\(servers)/\(keyed)?key=callid
            socket = kafka:\(servers)/\(plain)
            """)
        let raised = try CLI.run(["event", "raise", "E_PIKE_BLOCKED", "--param", "ip=192.168.2.11", "--key", "call-42", "--config", file.path])
        #expect(raised.status == 0, "\(raised.stderr)")
        #expect(raised.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("Delivered E_PIKE_BLOCKED to kafka:") }.count == 2, "\(raised.stdout)")
        let seed = #"{"jsonrpc":"2.0","method":"E_PIKE_BLOCKED","params":{"ip":"192.168.2.11"}}"#
        let keyedRecord = try #require(PlainConsumer.read(topic: keyed, count: 1, bootstrapServers: servers).first)
        let plainRecord = try #require(PlainConsumer.read(topic: plain, count: 1, bootstrapServers: servers).first)
        #expect(keyedRecord.value == Array(seed.utf8) && plainRecord.value == Array(seed.utf8))
        #expect(keyedRecord.key == Array("call-42".utf8) && plainRecord.key == nil)
    }

    @Test("event raise to --socket options: a failed socket exits 1 and says which; the good one is delivered")
    func raiseToSockets() throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("cli-raise")
        let result = try CLI.run([
            "event", "raise", "E_X", "--params-json", #"{"n":1}"#,
            "--socket", "kafka:127.0.0.1:1/t?t.message.timeout.ms=1000", "--socket", "kafka:\(servers)/\(topic)",
        ], seconds: 30)
        #expect(result.status == 1)
        #expect(result.stdout.contains("Delivered E_X to kafka:\(servers)/\(topic)"), "\(result.stdout)")
        #expect(result.stderr.contains("E_X not delivered to kafka:127.0.0.1:1/t?t.message.timeout.ms=1000: KafkaError(_MSG_TIMED_OUT)"), "\(result.stderr)")
        #expect(try PlainConsumer.read(topic: topic, count: 1, bootstrapServers: servers).first?.value == Array(#"{"jsonrpc":"2.0","method":"E_X","params":{"n":1}}"#.utf8))
    }
}
