import Foundation
import KafkaKit
import KafkaKitConnections
import Testing

/// Regressions found in review: secrets in text, lenient hex, file details, the registry after
/// shutdown.
@Suite("Sockets and kafka.conf: review regressions")
struct ReviewFixTests {
    @Test("a secret never shows: an item without '=', dump of a socket, a configuration or a connection")
    func secretsStayHidden() throws {
        let noValue = #expect(throws: KafkaError.self) { try KafkaSocket(parsing: "kafka:h:9092/t?g.sasl.password:hunter2") }
        #expect(noValue.map { !$0.description.contains("hunter2") && $0.message.contains("has no value") } == true, "\(String(describing: noValue))")

        let socket = try KafkaSocket(parsing: "kafka:h:9092/t?g.sasl.password=hunter2&t.acks=all")
        var dumped = ""
        dump(socket, to: &dumped)
        dump(socket.configuration, to: &dumped)
        dumped += String(describing: socket.properties) + String(describing: socket.configuration) + "\(socket)"
        var connection = KafkaConnection(name: "c")
        connection.properties["ssl.key.password"] = "hunter2"
        dump(connection, to: &dumped)
        #expect(!dumped.contains("hunter2"), "\(dumped)")
        #expect(dumped.contains("[redacted]") && dumped.contains("acks"))
    }

    @Test("hex digits must be ASCII: full-width forms are refused; a bad UTF-8 escape points at its '%'")
    func asciiHex() {
        let ipv6 = #expect(throws: KafkaError.self) { try KafkaSocket(parsing: "kafka:[ＡＢ::1]:9092/t") }
        #expect(ipv6?.position == 8)
        let escape = #expect(throws: KafkaError.self) { try KafkaSocket(parsing: "kafka:h:1/t?g.client.id=%ＡＡ") }
        #expect(escape?.message.contains("bad percent escape") == true)
        let utf8 = #expect(throws: KafkaError.self) { try KafkaSocket(parsing: "kafka:h:1/t?g.client.id=ab%ff") }
        #expect(utf8?.position == 27, "\(String(describing: utf8))")
    }

    @Test("kafka.conf: CRLF line ends, '\\;' as a literal ';', each subscribed socket once, broker IDs without '/'")
    func fileDetails() throws {
        let crlf = try KafkaConnectionsFile.parse("[general]\r\nenabled = yes\r\n[c]\r\ntype = connection\r\nbrokers = h:1\r\n")
        #expect(crlf.connection(named: "c")?.brokers == ["h:1"])

        let escaped = try KafkaConnectionsFile.parse("[c]\ntype = connection\nsasl.password = se\\;cret ; a comment\n")
        #expect(escaped.connection(named: "c")?.properties["sasl.password"] == "se;cret")

        let twice = try KafkaConnectionsFile.parse("""
            [a]
            type = subscription
            event = E
            socket = kafka:h:1/t
            socket = kafka:h:1/t
            [b]
            type = subscription
            event = E
            socket = kafka:h:1/t
            socket = kafka:h:1/u
            """)
        #expect(twice.sockets(subscribedTo: "E").map(\.topic) == ["t", "u"])

        let slash = #expect(throws: KafkaError.self) { try KafkaConnectionsFile.parse("[k/1]\ntype = broker\nsocket = h:1/t\n") }
        #expect(slash?.message.contains("must not contain '/'") == true && slash?.line == 1)
    }

    @Test("after shutdown the registry hands out no producer")
    func registryAfterShutdown() async throws {
        let registry = KafkaConnectionRegistry(try KafkaConnectionsFile.parse("[c]\ntype = connection\nbrokers = 127.0.0.1:1\n"))
        _ = try registry.producer(for: "c")
        await registry.shutdown(timeout: .zero)
        let byName = #expect(throws: KafkaError.self) { try registry.producer(for: "c") }
        #expect(byName?.code == .destroyed)
        let bySocket = #expect(throws: KafkaError.self) { try registry.producer(for: KafkaSocket(parsing: "kafka:127.0.0.1:1/t")) }
        #expect(bySocket?.code == .destroyed)
    }
}
