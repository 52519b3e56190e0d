import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// The `kafka` command over TLS, mutual TLS and SASL (`scripts/tls-broker`): kafka.conf
/// connections with librdkafka's TLS properties, or `--brokers` with `-X`; failures say why;
/// no output of any command ever shows a secret.
@Suite("kafka CLI over TLS and SASL", .enabled(if: TLSTestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set or stunnel is not installed"))
struct TLSCLITests {
    static let saslPassword = "S3cr3t-Canary-XYZ"

    /// A kafka.conf with one connection per case; every one holds a secret.
    func configFile(_ broker: TLSTestBroker) throws -> URL {
        func tls(_ name: String, _ port: Int, ca: String = "ca.pem", clientCertificate: Bool = false) -> String {
            var text = """
                [\(name)]
                type = connection
                brokers = 127.0.0.1:\(port)
                message_timeout_ms = 8000
                security.protocol = ssl
                ssl.ca.location = \(broker.path(ca))
                ssl.endpoint.identification.algorithm = https
                sasl.password = \(Self.saslPassword)  ; not used by ssl, but a secret all the same

                """
            if clientCertificate {
                text += """
                    ssl.certificate.location = \(broker.path("client.pem"))
                    ssl.key.location = \(broker.path("client.key"))
                    ssl.key.password = \(TLSTestBroker.clientKeyPassword)

                    """
            }
            return text
        }
        return try CLI.configFile("[general]\nenabled = yes\n"
            + tls("secure", broker.tlsPort) + tls("mutual", broker.mutualTLSPort, clientCertificate: true)
            + tls("badca", broker.tlsPort, ca: "other-ca.pem") + tls("wronghost", broker.wrongHostPort)
            + tls("nocert", broker.mutualTLSPort)
            + """
            [sasl]
            type = connection
            brokers = \(broker.saslServers)
            message_timeout_ms = 5000
            security.protocol = sasl_plaintext
            sasl.mechanism = SCRAM-SHA-512
            sasl.username = alice
            sasl.password = \(Self.saslPassword)

            """)
    }

    /// Runs `kafka`, failing the test if anything it printed holds a secret.
    func run(_ arguments: [String], stdin: String? = nil, seconds: Double = 90) throws -> CLI.Result {
        let result = try CLI.run(arguments, stdin: stdin.map { Data($0.utf8) }, seconds: seconds)
        for secret in [Self.saslPassword, TLSTestBroker.clientKeyPassword] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret),
                    "kafka \(arguments.joined(separator: " ")) printed a secret: \(result.stdout) \(result.stderr)")
        }
        return result
    }

    /// produce, consume, metadata, topics and test send through one way of connecting.
    func roundTrip(_ connect: [String], name: String?, advertisedPort: Int) throws {
        let topic = TestBroker.freshTopic("cli-tls")
        let created = try run(["topics", "create", topic, "--partitions", "1"] + connect)
        #expect(created.status == 0, "\(created.stderr)")
        let produced = try run(["produce", "--topic", topic] + connect, stdin: "one\ntwo\nthree\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stderr.contains("delivered 3"), "\(produced.stderr)")
        let consumed = try run(["consume", "--topic", topic, "--count", "3"] + connect, seconds: 60)
        #expect(consumed.status == 0, "\(consumed.stderr)")
        #expect(consumed.stdout == "one\ntwo\nthree\n", "\(consumed.stdout)")
        let json = try run(["consume", "--topic", topic, "--count", "1", "--json"] + connect, seconds: 60)
        #expect(json.stdout.contains("\"value\":\"one\""), "\(json.stdout) \(json.stderr)")
        let metadata = try run(["metadata", "--json"] + connect)
        #expect(metadata.status == 0 && metadata.stdout.contains("\(advertisedPort)"), "\(metadata.stdout) \(metadata.stderr)")
        let topics = try run(["topics", "list"] + connect)
        #expect(topics.stdout.contains(topic), "\(topics.stdout) \(topics.stderr)")
        #expect(try run(["groups", "list"] + connect).status == 0)
        if let name {
            let sent = try run(["test", "send", "connection", name, "topic", topic, "message", "four"] + connect.prefix(2))
            #expect(sent.status == 0 && sent.stdout == "Message sent successfully\n", "\(sent.stdout) \(sent.stderr)")
        }
    }

    @Test("kafka.conf connections with ssl.* properties: TLS and mutual TLS round trips")
    func connections() throws {
        let broker = try TLSTestBroker.shared()
        let file = try configFile(broker).path
        try roundTrip(["--config", file, "--connection", "secure"], name: "secure", advertisedPort: broker.tlsPort)
        try roundTrip(["--config", file, "--connection", "mutual"], name: "mutual", advertisedPort: broker.mutualTLSPort)
    }

    @Test("--brokers with -X ssl.* properties: TLS and mutual TLS round trips")
    func properties() throws {
        let broker = try TLSTestBroker.shared()
        let tls = ["--brokers", broker.tlsServers, "-X", "security.protocol=ssl", "-X", "ssl.ca.location=\(broker.path("ca.pem"))",
                   "-X", "ssl.endpoint.identification.algorithm=https"]
        try roundTrip(tls, name: nil, advertisedPort: broker.tlsPort)
        let mutual = ["--brokers", broker.mutualTLSServers, "-X", "security.protocol=ssl", "-X", "ssl.ca.location=\(broker.path("ca.pem"))",
                      "-X", "ssl.certificate.location=\(broker.path("client.pem"))", "-X", "ssl.key.location=\(broker.path("client.key"))",
                      "-X", "ssl.key.password=\(TLSTestBroker.clientKeyPassword)"]
        try roundTrip(mutual, name: nil, advertisedPort: broker.mutualTLSPort)
    }

    @Test("a wrong CA, a wrong host name, no client certificate, unknown SASL credentials: each command fails saying why", arguments: [
        ("badca", "certificate verify failed"), ("wronghost", "certificate verify failed"),
        ("nocert", "certificate required"), ("sasl", "SASL SCRAM authentication failed"),
    ])
    func failures(connection: String, expected: String) throws {
        let broker = try TLSTestBroker.shared()
        let file = try configFile(broker).path
        let connect = ["--config", file, "--connection", connection]
        let topic = TestBroker.freshTopic("cli-refused")
        var commands = [["metadata"], ["metadata", "--json"], ["topics", "list"]]
        // Each of these waits for its 30 s admin timeout: asked once, not of every case.
        if connection == "badca" { commands += [["groups", "list"], ["groups", "describe", "g"], ["topics", "create", topic, "--partitions", "1"]] }
        for arguments in commands {
            let started = ContinuousClock.now
            let result = try run(arguments + connect, seconds: 60)
            #expect(result.status == 1, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            #expect(ContinuousClock.now - started < .seconds(45), "\(arguments)")
        }
        let produced = try run(["produce", "--topic", topic] + connect, stdin: "x\n", seconds: 60)
        #expect(produced.status == 1, "\(produced.stderr)")
        #expect(produced.stderr.contains(expected), "produce: \(produced.stderr)")
        let consumed = try run(["consume", "--topic", topic, "--count", "1"] + connect, seconds: 20)
        #expect(consumed.stderr.contains(expected), "consume: \(consumed.stderr)")
    }

    @Test("no command prints a secret: show, test send, produce and consume with debug=all, publish --wait --json, event raise")
    func secretsNeverPrinted() throws {
        let broker = try TLSTestBroker.shared()
        let file = try configFile(broker).path
        let status = try run(["show", "status", "--config", file])
        #expect(status.status == 0 && status.stdout.contains("sasl"), "\(status.stdout) \(status.stderr)")
        for name in ["secure", "mutual", "sasl"] {
            let shown = try run(["show", "connection", name, "--config", file])
            #expect(shown.stdout.contains("sasl.password:     [redacted]"), "\(shown.stdout)")
        }
        let mutual = try run(["show", "connection", "mutual", "--config", file])
        #expect(mutual.stdout.contains("ssl.key.password:  [redacted]"), "\(mutual.stdout)")
        let topic = TestBroker.freshTopic("cli-secret")
        let sent = try run(["test", "send", "connection", "sasl", "topic", topic, "message", "m", "--config", file])
        #expect(sent.status == 1, "\(sent.stdout) \(sent.stderr)")
        let debug = ["-X", "debug=all", "-X", "sasl.password=\(Self.saslPassword)"]
        let produced = try run(["produce", "--topic", topic, "--config", file, "--connection", "mutual"] + debug, stdin: "a\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        _ = try run(["consume", "--topic", topic, "--count", "1", "--json", "--config", file, "--connection", "mutual"] + debug, seconds: 60)
        _ = try run(["produce", "--topic", topic, "--config", file, "--connection", "sasl"] + debug, stdin: "a\n")
        let socket = "kafka:\(broker.saslServers)/\(topic)?g.security.protocol=sasl_plaintext&g.sasl.mechanism=SCRAM-SHA-512"
            + "&g.sasl.username=alice&g.sasl.password=\(Self.saslPassword)&t.message.timeout.ms=5000"
        let published = try run(["publish", socket, "m", "--wait", "--json"])
        #expect(published.status == 1, "\(published.stdout) \(published.stderr)")
        let raised = try run(["event", "raise", "E_TEST", "--param", "a=b", "--socket", socket, "--dry-run"])
        #expect(raised.status == 0, "\(raised.stdout) \(raised.stderr)")
        _ = try run(["event", "raise", "E_TEST", "--param", "a=b", "--socket", socket])
        // A key password that does not open the key: creation fails, and says which property.
        let wrongKey = try run(["metadata", "--config", file, "--connection", "mutual", "-X", "ssl.key.password=\(Self.saslPassword)"])
        #expect(wrongKey.status == 2 || wrongKey.status == 1, "\(wrongKey.stderr)")
        #expect(wrongKey.stderr.contains("ssl.key"), "\(wrongKey.stderr)")
    }
}
