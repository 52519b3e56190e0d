import KafkaKit
import KafkaKitConnections
import Testing

@Suite("kafka: sockets and [ID] broker specs")
struct SocketTests {
    @Test("the seed's socket example parses into brokers, topic, a topic property and key=callid")
    func seedSocket() throws {
        let socket = try KafkaSocket(parsing: "kafka:127.0.0.1:9092/topic1?t.message.timeout.ms=1000&key=callid")
        #expect(socket.brokers == ["127.0.0.1:9092"])
        #expect(socket.topic == "topic1")
        #expect(socket.properties == [.init(scope: .topic, name: "message.timeout.ms", value: "1000")])
        #expect(socket.properties.first?.position == 29)
        #expect(socket.usesCorrelationKey)
        let configuration = socket.configuration
        #expect(configuration.bootstrapServers == ["127.0.0.1:9092"])
        #expect(configuration.topicProperties == ["message.timeout.ms": "1000"])
        #expect(configuration.properties["key"] == nil, "key=callid is ours, not librdkafka's")
    }

    @Test("the seed's broker spec parses, key=callid is accepted there and its text round-trips")
    func seedBrokerSpec() throws {
        let spec = try KafkaBrokerSpec(parsing: "[k1]127.0.0.1:9092/topic1?g.linger.ms=100&t.acks=all")
        #expect(spec.id == "k1")
        #expect(spec.socket.brokers == ["127.0.0.1:9092"])
        #expect(spec.socket.topic == "topic1")
        #expect(spec.socket.configuration.properties["linger.ms"] == "100")
        #expect(spec.socket.configuration.topicProperties["acks"] == "all")
        #expect(spec.description == "[k1]127.0.0.1:9092/topic1?g.linger.ms=100&t.acks=all")
        // Also with the kafka: prefix, and with key=callid (which has no effect for brokers).
        let prefixed = try KafkaBrokerSpec(parsing: "[k2]kafka:127.0.0.1:9092/topic1?key=callid")
        #expect(prefixed.socket.topic == "topic1" && prefixed.id == "k2")
    }

    @Test("every valid form: several brokers, IPv6, no properties, percent escapes, both scopes")
    func validForms() throws {
        let many = try KafkaSocket(parsing: "kafka:kafka1:9092,kafka-2.example.com:19092,[::1]:9093,[fe80::1:2]:1/a.b_c-D9")
        #expect(many.brokers == ["kafka1:9092", "kafka-2.example.com:19092", "[::1]:9093", "[fe80::1:2]:1"])
        #expect(many.topic == "a.b_c-D9")
        #expect(many.properties.isEmpty && !many.usesCorrelationKey)

        let escaped = try KafkaSocket(parsing: "KAFKA:h:1/t?g.client.id=a%20b%26c%3Dd&t.acks=-1&g.sasl.username=%C3%A9")
        #expect(escaped.configuration.clientID == "a b&c=d")
        #expect(escaped.configuration.topicProperties["acks"] == "-1")
        #expect(escaped.configuration.properties["sasl.username"] == "é")
        // Text round trip (re-escaped).
        #expect(try KafkaSocket(parsing: escaped.description) == escaped)

        let secret = try KafkaSocket(parsing: "kafka:h:1/t?g.sasl.password=hunter2")
        #expect(secret.configuration.properties["sasl.password"] == "hunter2")
        #expect(!secret.description.contains("hunter2"), "secrets never appear in text: \(secret.description)")
        #expect(secret.description == "kafka:h:1/t?g.sasl.password=[redacted]")

        let longest = String(repeating: "x", count: 249)
        #expect(try KafkaSocket(parsing: "kafka:h:1/\(longest)").topic == longest)
    }

    /// Each malformed socket, the position its error must point at, and words the message must hold.
    static let badSockets: [(String, Int, String)] = [
        ("127.0.0.1:9092/topic1", 1, "must start with 'kafka:'"),
        ("http://127.0.0.1:9092/topic1", 1, "must start with 'kafka:'"),
        ("kafka:/topic1", 7, "empty broker list"),
        ("kafka:", 7, "empty broker list"),
        ("kafka:h:1,,h:2/t", 11, "empty broker address"),
        ("kafka:h:1,/t", 11, "empty broker address"),
        ("kafka:host/t", 11, "missing port in broker 'host'"),
        ("kafka:host:/t", 12, "bad port ''"),
        ("kafka:host:99999/t", 12, "bad port '99999'"),
        ("kafka:host:0/t", 12, "bad port '0'"),
        ("kafka:a:1,host:9x2/t", 16, "bad port '9x2'"),
        ("kafka::9092/t", 7, "missing host"),
        ("kafka:ho st:1/t", 9, "contains a space"),
        ("kafka:h*st:1/t", 8, "invalid character '*' in the host"),
        ("kafka:::1:9092/t", 7, "IPv6"),
        ("kafka:[::1/t", 7, "unclosed '['"),
        ("kafka:[::1]/t", 12, "missing port in broker '[::1]'"),
        ("kafka:[zz]:1/t", 8, "is not an IPv6 address"),
        ("kafka:[::1]:70000/t", 13, "bad port '70000'"),
        ("kafka:h:1", 10, "missing '/TOPIC'"),
        ("kafka:h:1/", 11, "missing topic"),
        ("kafka:h:1/?t.acks=1", 11, "missing topic"),
        ("kafka:h:1/top ic", 14, "invalid character ' ' in topic"),
        ("kafka:h:1/top/ic", 14, "invalid character '/' in topic"),
        ("kafka:h:1/..", 11, "not a valid topic name"),
        ("kafka:h:1/" + String(repeating: "x", count: 250), 11, "at most 249"),
        ("kafka:h:1/t?", 13, "empty property list"),
        ("kafka:h:1/t?g.linger.ms=5&", 27, "empty property (a stray '&')"),
        ("kafka:h:1/t?g.linger.ms=5&&t.acks=1", 27, "stray '&'"),
        ("kafka:h:1/t?linger.ms=5", 13, "needs a 'g.' (global) or 't.' (topic) prefix: librdkafka's 'linger.ms' is global, so write 'g.linger.ms'"),
        ("kafka:h:1/t?acks=all", 13, "so write 't.acks'"),
        ("kafka:h:1/t?no.such.prop=1", 13, "'no.such.prop' needs a 'g.'"),
        ("kafka:h:1/t?t.acks=1&linger.ms=5", 22, "'linger.ms' needs a 'g.'"),
        ("kafka:h:1/t?foo=bar", 13, "unknown extra 'foo'"),
        ("kafka:h:1/t?key=sipid", 13, "unknown extra 'key=sipid'"),
        ("kafka:h:1/t?g.linger.ms", 13, "has no value"),
        ("kafka:h:1/t?g.=5", 13, "missing property name after 'g.'"),
        ("kafka:h:1/t?t.acks=1&t.acks=all", 22, "duplicate property 't.acks' (first at position 13)"),
        ("kafka:h:1/t?key=callid&key=callid", 24, "duplicate key=callid"),
        ("kafka:h:1/t?g.client.id=a%2", 26, "bad percent escape"),
        ("kafka:h:1/t?g.client.id=%zz", 25, "bad percent escape"),
        ("kafka:h:1/t?g.client.id=%ff", 25, "do not decode to UTF-8"),
        ("kafka:h:1/t?g.bootstrap.servers=x:1", 13, "repeats the broker list"),
    ]

    @Test("every malformed socket is refused, naming the offending part and its position")
    func malformedSockets() {
        for (text, position, words) in Self.badSockets {
            do {
                let socket = try KafkaSocket(parsing: text)
                Issue.record("\(text) parsed as \(socket)")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.position == position, "\(text): \(error)")
                #expect(error.message.contains(words), "\(text): \(error.message)")
                #expect(error.description.contains("position \(position)"), "\(error)")
            }
        }
    }

    @Test("a secret value never appears in a parse error")
    func secretsStayOutOfErrors() {
        let error = #expect(throws: KafkaError.self) {
            try KafkaSocket(parsing: "kafka:h:1/t?g.sasl.password=hunter2&g.sasl.password=hunter2")
        }
        #expect(error.map { !$0.description.contains("hunter2") } ?? false, "\(String(describing: error))")
    }

    /// Malformed broker specs, the position, and words.
    static let badSpecs: [(String, Int, String)] = [
        ("k1]127.0.0.1:9092/topic1", 1, "starts with '[ID]'"),
        ("[k1127.0.0.1:9092/topic1", 25, "missing ']'"),
        ("[]127.0.0.1:9092/topic1", 2, "empty broker ID"),
        ("[k 1]127.0.0.1:9092/topic1", 3, "invalid character ' ' in broker ID"),
        ("[k1]/topic1", 5, "empty broker list"),
        ("[k1]127.0.0.1:x/topic1", 15, "bad port 'x'"),
        ("[k1]127.0.0.1:9092", 19, "missing '/TOPIC'"),
        ("[k1]127.0.0.1:9092/topic1?acks=all", 27, "needs a 'g.'"),
        ("[k1]kafka:127.0.0.1:9092/t?g.x", 28, "has no value"),
    ]

    @Test("every malformed broker spec is refused with its position")
    func malformedSpecs() {
        for (text, position, words) in Self.badSpecs {
            do {
                let spec = try KafkaBrokerSpec(parsing: text)
                Issue.record("\(text) parsed as \(spec)")
            } catch {
                #expect(error.position == position, "\(text): \(error)")
                #expect(error.message.contains(words), "\(text): \(error.message)")
            }
        }
    }

    @Test("several broker specs at once; a duplicate ID is refused naming both")
    func severalSpecs() throws {
        let specs = try KafkaBrokerSpec.parseAll(["[k1]h:1/a", "[k2]h:2/b?g.linger.ms=5"])
        #expect(specs.map(\.id) == ["k1", "k2"])
        let duplicate = #expect(throws: KafkaError.self) { try KafkaBrokerSpec.parseAll(["[k1]h:1/a", "[k2]h:1/b", "[k1]h:3/c"]) }
        #expect(duplicate?.message.contains("duplicate broker ID 'k1' in broker spec 3 (first in spec 1)") == true, "\(String(describing: duplicate))")
        let bad = #expect(throws: KafkaError.self) { try KafkaBrokerSpec.parseAll(["[k1]h:1/a", "[k2]h:x/b"]) }
        #expect(bad?.message.hasPrefix("broker spec 2: bad port 'x'") == true, "\(String(describing: bad))")
        #expect(bad?.position == 7)
    }

    @Test("kafka.conf declares broker IDs and subscriptions; errors inside a socket point at file, line and column")
    func fileBrokersAndSubscriptions() throws {
        let text = """
            [k1]
            type = broker
            socket = 127.0.0.1:9092/topic1?g.linger.ms=100&t.acks=all

            [pike]
            type = subscription
            event = E_PIKE_BLOCKED
            socket = kafka:127.0.0.1:9092/security?key=callid
            socket = kafka:127.0.0.1:9092/audit   ; a second socket

            [more-pike]
            type = subscription
            event = E_PIKE_BLOCKED
            socket = kafka:10.0.0.1:9092/archive
            """
        let file = try KafkaConnectionsFile.parse(text, file: "kafka.conf")
        #expect(file.brokers.map(\.id) == ["k1"])
        #expect(file.broker(id: "k1")?.socket.configuration.topicProperties["acks"] == "all")
        #expect(file.broker(id: "k1")?.line == 1)
        #expect(file.sockets(subscribedTo: "E_PIKE_BLOCKED").map(\.topic) == ["security", "audit", "archive"])
        #expect(file.sockets(subscribedTo: "E_PIKE_BLOCKED").first?.usesCorrelationKey == true)
        #expect(file.sockets(subscribedTo: "E_OTHER").isEmpty)

        let cases: [(String, Int, Int?, String)] = [
            ("[k1]\ntype = broker\nsocket = 127.0.0.1:99999/t\n", 3, 20, "bad port '99999'"),
            ("[k1]\ntype = broker\nsocket =   kafka:h:1/t?acks=1\n", 3, 24, "needs a 'g.'"),
            ("[k1]\ntype = broker\n", 1, nil, "has no 'socket'"),
            ("[k1]\ntype = broker\nsocket = h:1/t\nsocket = h:2/t\n", 4, nil, "'socket' given twice"),
            ("[k1]\ntype = broker\nsocket = h:1/t\nbrokers = h:1\n", 4, nil, "unknown key 'brokers'"),
            ("[s]\ntype = subscription\nsocket = kafka:h:1/t\n", 1, nil, "has no 'event'"),
            ("[s]\ntype = subscription\nevent = E\n", 1, nil, "has no 'socket'"),
            ("[s]\ntype = subscription\nevent = E\nsocket = h:1/t\n", 4, 10, "must start with 'kafka:'"),
        ]
        for (text, line, column, words) in cases {
            do {
                _ = try KafkaConnectionsFile.parse(text, file: "x.conf")
                Issue.record("parsed: \(text)")
            } catch {
                #expect(error.file == "x.conf" && error.line == line, "\(text): \(error)")
                #expect(error.position == column, "\(text): \(error)")
                #expect(error.message.contains(words), "\(text): \(error.message)")
            }
        }
    }

    @Test("the registry shares one producer per broker list and property set, and names a bad property's position")
    func registrySocketProducers() async throws {
        let registry = KafkaConnectionRegistry(try KafkaConnectionsFile.parse("[k1]\ntype = broker\nsocket = 127.0.0.1:1/a?t.acks=all\n"))
        let a = try registry.producer(for: KafkaSocket(parsing: "kafka:127.0.0.1:1/a?t.acks=all"))
        let b = try registry.producer(for: KafkaSocket(parsing: "kafka:127.0.0.1:1/other-topic?t.acks=all&key=callid"))
        let c = try registry.producer(for: registry.broker(id: "k1"))
        let d = try registry.producer(for: KafkaSocket(parsing: "kafka:127.0.0.1:1/a?t.acks=1"))
        #expect(a === b && a === c, "same brokers and properties: one producer")
        #expect(a !== d, "different properties: another producer")

        let error = #expect(throws: KafkaError.self) {
            try registry.producer(for: KafkaSocket(parsing: "kafka:127.0.0.1:1/a?t.acks=all&g.linger.ms=soon"))
        }
        #expect(error?.property == "linger.ms")
        #expect(error?.position == 32, "\(String(describing: error))")
        #expect(error?.message.contains("Invalid value") == true, "\(String(describing: error))")

        let unknown = #expect(throws: KafkaError.self) {
            try registry.producer(for: KafkaSocket(parsing: "kafka:127.0.0.1:1/a?t.no.such.thing=1"))
        }
        #expect(unknown?.property == "no.such.thing" && unknown?.position == 21, "\(String(describing: unknown))")
        #expect(throws: KafkaError.self) { try registry.broker(id: "nope") }
        await registry.shutdown(timeout: .zero)
    }
}
