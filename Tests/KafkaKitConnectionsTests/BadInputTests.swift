import Foundation
import KafkaKit
import KafkaKitConnections
import Testing

/// Issue 11, for kafka.conf, `kafka:` sockets and `[ID]` broker specs: every bad input is a
/// ``KafkaError`` that names what was wrong and where (file and line, column or position).
@Suite("Bad input: kafka.conf, sockets, broker IDs")
struct ConnectionsBadInputTests {
    /// A `kafka.conf` text, the line (and column) the error must name, words of its message
    /// and the key it must name.
    struct ConfRow: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var column: Int? = nil
        var says: String
        var property: String? = nil
        var testDescription: String { "line \(line): \(says)" }
    }

    static let confRows: [ConfRow] = [
        ConfRow(text: "[a\ntype = connection\n", line: 1, says: "must be a section header"),
        ConfRow(text: "[]\n", line: 1, says: "must be a section header"),
        ConfRow(text: "[ ]\ntype = connection\n", line: 1, says: "empty section name"),
        ConfRow(text: "brokers = h:1\n[a]\ntype = connection\n", line: 1, says: "'brokers' is outside any section", property: "brokers"),
        ConfRow(text: "[a]\ntype = connection\nbrokers\n", line: 3, says: "it has no '='"),
        ConfRow(text: "[a]\ntype = connection\n = h:1\n", line: 3, says: "no key before '='"),
        ConfRow(text: "[a]\ntype = connection\n[a]\ntype = connection\n", line: 3, says: "duplicate section [a] (first at line 1)"),
        ConfRow(text: "[a]\nbrokers = h:1\n", line: 1, says: "section [a] has no 'type'"),
        ConfRow(text: "[a]\ntype = cluster\n", line: 2, says: "unknown type 'cluster' in [a]", property: "type"),
        ConfRow(text: "[a]\ntype = connection\ntype = broker\n", line: 3, says: "'type' given twice in [a] (first at line 2)", property: "type"),
        ConfRow(text: "[a]\ntype = connection\nbrokers = h:1\nbrokers = h:2\n", line: 4, says: "'brokers' given twice in [a] (first at line 3)", property: "brokers"),
        ConfRow(text: "[a]\ntype = connection\nlinger.ms = 5\nlinger.ms = 50\n", line: 4, says: "'linger.ms' given twice", property: "linger.ms"),
        ConfRow(text: "[a]\ntype = connection\nbrokers = , ,\n", line: 3, says: "brokers is empty in [a]", property: "brokers"),
        ConfRow(text: "[a]\ntype = connection\nbrokers = h:x\n", line: 3, column: 13, says: "bad port 'x' in broker 'h:x'", property: "brokers"),
        ConfRow(text: "[a]\ntype = connection\nbrokers = h:1, g:99999\n", line: 3, column: 18, says: "bad port '99999'", property: "brokers"),
        ConfRow(text: "[a]\ntype = connection\nbrokers = h:1,:9092\n", line: 3, column: 15, says: "missing host in broker ':9092'", property: "brokers"),
        ConfRow(text: "[a]\ntype = connection\nbrokers = [::1:9092\n", line: 3, column: 11, says: "unclosed '['", property: "brokers"),
        ConfRow(text: "[a]\ntype = connection\nmessage_max_bytes = lots\n", line: 3, says: "message_max_bytes must be a non-negative whole number, not 'lots'", property: "message_max_bytes"),
        ConfRow(text: "[a]\ntype = connection\nrequest_timeout_ms = -1\n", line: 3, says: "request_timeout_ms must be", property: "request_timeout_ms"),
        ConfRow(text: "[a]\ntype = connection\nmessage_timeout_ms = 1.5\n", line: 3, says: "message_timeout_ms must be", property: "message_timeout_ms"),
        ConfRow(text: "[general]\nenabled = maybe\n", line: 2, says: "enabled must be yes or no, not 'maybe'", property: "enabled"),
        ConfRow(text: "[general]\nverbose = yes\n", line: 2, says: "unknown key 'verbose' in [general]", property: "verbose"),
        ConfRow(text: "[k 1]\ntype = broker\nsocket = h:1/t\n", line: 1, says: "broker ID [k 1] must not contain ' '"),
        ConfRow(text: "[k1]\ntype = broker\n", line: 1, says: "has no 'socket'", property: "socket"),
        ConfRow(text: "[k1]\ntype = broker\nsocket = h:1/t\nsocket = h:2/t\n", line: 4, says: "'socket' given twice in [k1] (first at line 3)", property: "socket"),
        ConfRow(text: "[k1]\ntype = broker\nsocket = h:1/t\nacks = all\n", line: 4, says: "unknown key 'acks' in [k1]", property: "acks"),
        ConfRow(text: "[k1]\ntype = broker\nsocket = h:1/in valid\n", line: 3, column: 16, says: "[k1] socket: invalid character ' ' in topic 'in valid'"),
        ConfRow(text: "[k1]\ntype = broker\nsocket = h:x/t\n", line: 3, column: 12, says: "bad port 'x'"),
        ConfRow(text: "[s]\ntype = subscription\nsocket = kafka:h:1/t\n", line: 1, says: "has no 'event'", property: "event"),
        ConfRow(text: "[s]\ntype = subscription\nevent =\nsocket = kafka:h:1/t\n", line: 3, says: "empty event name in [s]", property: "event"),
        ConfRow(text: "[s]\ntype = subscription\nevent = E\n", line: 1, says: "has no 'socket'", property: "socket"),
        ConfRow(text: "[s]\ntype = subscription\nevent = E\nsocket = h:1/t\n", line: 4, column: 10, says: "must start with 'kafka:'"),
        ConfRow(text: "[s]\ntype = subscription\nevent = E\nsocket = kafka:h:1/t?linger.ms=5\n", line: 4, column: 22, says: "needs a 'g.' (global) or 't.' (topic) prefix", property: "linger.ms"),
    ]

    @Test("kafka.conf: each malformed file names the file, the line (and column) and the problem", arguments: confRows)
    func confFile(_ row: ConfRow) throws {
        let error = try #require(throws: KafkaError.self) { try KafkaConnectionsFile.parse(row.text, file: "/etc/kafka/bad.conf") }
        #expect(error.code == .invalidArgument)
        #expect(error.file == "/etc/kafka/bad.conf")
        #expect(error.line == row.line, "\(error)")
        #expect(error.message.contains(row.says), "\(error.message)")
        #expect(error.description.contains("/etc/kafka/bad.conf:\(row.line)"), "\(error)")
        if let column = row.column { #expect(error.position == column, "\(error)") }
        if let property = row.property { #expect(error.property == property, "\(error)") }
    }

    /// A file that cannot be read as kafka.conf: its bytes (or `nil` for a path to use as is),
    /// and words, line and column the error must name.
    struct FileRow: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]?
        var path: String? = nil
        var says: String
        var line: Int? = nil
        var column: Int? = nil
        var testDescription: String { name }
    }

    static let fileRows: [FileRow] = [
        FileRow(name: "missing", bytes: nil, path: "/nonexistent/kafka.conf", says: "No such file or directory"),
        FileRow(name: "a directory", bytes: nil, path: "/tmp", says: "Is a directory"),
        FileRow(name: "not UTF-8 (Latin-1 é)", bytes: Array("[a]\ntype = connection\nclient_id = caf".utf8) + [0xE9, 0x0A], says: "byte 0xE9 is not UTF-8 text", line: 3, column: 16),
        FileRow(name: "not UTF-8 on the first line", bytes: [0xFF, 0xFE] + Array("[a]\n".utf8), says: "byte 0xFF is not UTF-8 text", line: 1, column: 1),
        FileRow(name: "empty (valid: no connections)", bytes: [], says: ""),
    ]

    @Test("kafka.conf: a file that cannot be read says why, naming it (and where it stops being UTF-8)", arguments: fileRows)
    func unreadableFile(_ row: FileRow) throws {
        var path = row.path ?? ""
        if let bytes = row.bytes {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).conf").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        defer { if row.bytes != nil { try? FileManager.default.removeItem(atPath: path) } }
        guard !row.says.isEmpty else {
            #expect(try KafkaConnectionsFile.load(path: path).connections.isEmpty)
            return
        }
        let error = try #require(throws: KafkaError.self) { try KafkaConnectionsFile.load(path: path) }
        #expect(error.file == path)
        #expect(error.message.contains("cannot read the configuration file: \(row.says)"), "\(error)")
        #expect(error.description.contains(path))
        #expect(error.line == row.line && error.position == row.column, "\(error)")
    }

    /// A connection whose producer cannot be made: the file, the connection's name, the line
    /// the error must name, words and the property.
    struct RegistryRow: Sendable, CustomTestStringConvertible {
        var text: String
        var connection: String
        var line: Int?
        var says: String
        var property: String? = nil
        var testDescription: String { "\(connection): \(says)" }
    }

    static let registryRows: [RegistryRow] = [
        RegistryRow(text: "[a]\ntype = connection\n", connection: "b", line: nil, says: "no connection named 'b' (known: a)"),
        RegistryRow(text: "[general]\nenabled = no\n[a]\ntype = connection\n", connection: "a", line: nil, says: "disabled", property: "enabled"),
        RegistryRow(text: "[a]\ntype = connection\nbrokers = h:1\nno.such.property = 1\n", connection: "a", line: 4, says: "connection 'a': unknown configuration property \"no.such.property\"", property: "no.such.property"),
        RegistryRow(text: "[a]\ntype = connection\nacks = banana\n", connection: "a", line: 3, says: "connection 'a': Invalid value", property: "acks"),
        RegistryRow(text: "[a]\ntype = connection\n\nmessage_max_bytes = 10\n", connection: "a", line: 4, says: "outside allowed range 1000..1000000000", property: "message.max.bytes"),
        RegistryRow(text: "[a]\ntype = connection\nsasl.password = hunter2\nsecurity.protocol = carrier-pigeon\n", connection: "a", line: 4, says: "security.protocol", property: "security.protocol"),
    ]

    @Test("connections: an unknown name lists the known ones; a property librdkafka rejects is named at its line", arguments: registryRows)
    func registry(_ row: RegistryRow) throws {
        let registry = KafkaConnectionRegistry(try KafkaConnectionsFile.parse(row.text, file: "k.conf"))
        let error = try #require(throws: KafkaError.self) { try registry.producer(for: row.connection) }
        #expect(error.message.contains(row.says), "\(error)")
        #expect(error.file == "k.conf")
        #expect(error.line == row.line, "\(error)")
        if let property = row.property { #expect(error.property == property, "\(error)") }
        #expect(!error.description.contains("hunter2"))
    }

    /// A malformed socket, the position its error must point at, and words of its message.
    struct TextRow: Sendable, CustomTestStringConvertible {
        var text: String
        var position: Int
        var says: String
        var testDescription: String { "\(text.prefix(60)) → \(position): \(says)" }
    }

    static let socketRows: [TextRow] = [
        TextRow(text: "127.0.0.1:9092/t", position: 1, says: "must start with 'kafka:'"),
        TextRow(text: "", position: 1, says: "must start with 'kafka:'"),
        TextRow(text: "kafka:", position: 7, says: "empty broker list"),
        TextRow(text: "kafka:h:1,,h:2/t", position: 11, says: "empty broker address"),
        TextRow(text: "kafka:host/t", position: 11, says: "missing port in broker 'host'"),
        TextRow(text: "kafka:host:0/t", position: 12, says: "bad port '0'"),
        TextRow(text: "kafka:host:65536/t", position: 12, says: "bad port '65536'"),
        TextRow(text: "kafka:host:-1/t", position: 12, says: "bad port '-1'"),
        TextRow(text: "kafka:hóst:1/t", position: 8, says: "invalid character 'ó' in the host"),
        TextRow(text: "kafka:ho st:1/t", position: 9, says: "contains a space"),
        TextRow(text: "kafka:::1:9092/t", position: 7, says: "write it in brackets"),
        TextRow(text: "kafka:[::1]/t", position: 12, says: "missing port"),
        TextRow(text: "kafka:h:1", position: 10, says: "missing '/TOPIC'"),
        TextRow(text: "kafka:h:1/", position: 11, says: "missing topic"),
        TextRow(text: "kafka:h:1/in valid", position: 13, says: "invalid character ' ' in topic 'in valid'"),
        TextRow(text: "kafka:h:1/caf\u{e9}", position: 14, says: "invalid character 'é' in topic"),
        TextRow(text: "kafka:h:1/.", position: 11, says: "'.' is not a valid topic name"),
        TextRow(text: "kafka:h:1/..", position: 11, says: "'..' is not a valid topic name"),
        TextRow(text: "kafka:h:1/" + String(repeating: "x", count: 250), position: 11, says: "250 characters long (at most 249)"),
        TextRow(text: "kafka:h:1/t?", position: 13, says: "empty property list"),
        TextRow(text: "kafka:h:1/t?g.linger.ms=5&", position: 27, says: "a stray '&'"),
        TextRow(text: "kafka:h:1/t?linger.ms=5", position: 13, says: "so write 'g.linger.ms'"),
        TextRow(text: "kafka:h:1/t?acks=all", position: 13, says: "so write 't.acks'"),
        TextRow(text: "kafka:h:1/t?key=sipid", position: 13, says: "unknown extra 'key=sipid'"),
        TextRow(text: "kafka:h:1/t?g.linger.ms", position: 13, says: "has no value"),
        TextRow(text: "kafka:h:1/t?g.sasl.password", position: 13, says: "property has no value"),
        TextRow(text: "kafka:h:1/t?g.=5", position: 13, says: "missing property name after 'g.'"),
        TextRow(text: "kafka:h:1/t?t.acks=1&t.acks=all", position: 22, says: "duplicate property 't.acks' (first at position 13)"),
        TextRow(text: "kafka:h:1/t?g.client.id=%zz", position: 25, says: "bad percent escape"),
        TextRow(text: "kafka:h:1/t?g.client.id=%ff", position: 25, says: "do not decode to UTF-8"),
        TextRow(text: "kafka:h:1/t?g.bootstrap.servers=x:1", position: 13, says: "repeats the broker list"),
    ]

    @Test("sockets: each malformed kafka: socket names the offending part and its position", arguments: socketRows)
    func socket(_ row: TextRow) throws {
        let error = try #require(throws: KafkaError.self) { try KafkaSocket(parsing: row.text) }
        #expect(error.code == .invalidArgument)
        #expect(error.position == row.position, "\(error)")
        #expect(error.message.contains(row.says), "\(error.message)")
        #expect(error.description.contains("position \(row.position)"))
    }

    static let brokerSpecRows: [TextRow] = [
        TextRow(text: "k1]h:1/t", position: 1, says: "starts with '[ID]'"),
        TextRow(text: "", position: 1, says: "starts with '[ID]'"),
        TextRow(text: "[k1h:1/t", position: 9, says: "missing ']' after the broker ID"),
        TextRow(text: "[]h:1/t", position: 2, says: "empty broker ID"),
        TextRow(text: "[k 1]h:1/t", position: 3, says: "invalid character ' ' in broker ID 'k 1'"),
        TextRow(text: "[k[1]h:1/t", position: 3, says: "invalid character '[' in broker ID"),
        TextRow(text: "[k1]/t", position: 5, says: "empty broker list"),
        TextRow(text: "[k1]h:x/t", position: 7, says: "bad port 'x'"),
        TextRow(text: "[k1]h:1", position: 8, says: "missing '/TOPIC'"),
        TextRow(text: "[k1]h:1/a b", position: 10, says: "invalid character ' ' in topic 'a b'"),
        TextRow(text: "[k1]kafka:h:1/t?acks=all", position: 17, says: "so write 't.acks'"),
    ]

    @Test("broker IDs: each malformed [ID] spec names the offending part and its position", arguments: brokerSpecRows)
    func brokerSpec(_ row: TextRow) throws {
        let error = try #require(throws: KafkaError.self) { try KafkaBrokerSpec(parsing: row.text) }
        #expect(error.code == .invalidArgument)
        #expect(error.position == row.position, "\(error)")
        #expect(error.message.contains(row.says), "\(error.message)")
    }

    /// Several specs: the one that is bad (or repeats an ID) is named by its number.
    static let brokerListRows: [([String], String)] = [
        (["[k1]h:1/a", "[k2]h:x/b"], "broker spec 2: bad port 'x'"),
        (["[k1]h:1/a", "[k2]h:1/b", "[k1]h:3/c"], "duplicate broker ID 'k1' in broker spec 3 (first in spec 1)"),
    ]

    @Test("broker IDs: of several specs, the bad one is named by its number", arguments: brokerListRows)
    func brokerSpecs(_ texts: [String], _ says: String) throws {
        let error = try #require(throws: KafkaError.self) { try KafkaBrokerSpec.parseAll(texts) }
        #expect(error.message.contains(says), "\(error)")
    }

    /// A socket that parses but whose producer librdkafka refuses: the property is named
    /// with its position in the socket.
    static let socketPropertyRows: [(String, String, Int)] = [
        ("kafka:127.0.0.1:1/t?g.no.such.property=1", "no.such.property", 21),
        ("kafka:127.0.0.1:1/t?t.acks=1&g.linger.ms=soon", "linger.ms", 30),
        ("kafka:127.0.0.1:1/t?t.acks=banana", "acks", 21),
        ("kafka:127.0.0.1:1/t?g.message.max.bytes=10", "message.max.bytes", 21),
    ]

    @Test("sockets: a property librdkafka rejects is named with its position", arguments: socketPropertyRows)
    func socketProperty(_ text: String, _ property: String, _ position: Int) throws {
        let socket = try KafkaSocket(parsing: text)
        let registry = KafkaConnectionRegistry(KafkaConnectionsFile())
        let error = try #require(throws: KafkaError.self) { try registry.producer(for: socket) }
        #expect(error.property == property, "\(error)")
        #expect(error.position == position, "\(error)")
        #expect(error.message.hasPrefix("socket kafka:127.0.0.1:1/t"), "\(error)")
    }
}
