import KafkaKit
import KafkaKitConnections
import KafkaKitTestSupport
import Testing

@Suite("kafka.conf parsing")
struct ConnectionsFileTests {
    /// The seed's sample, verbatim.
    static let seedSample = """
        [general]
        enabled = yes

        [my-kafka]
        type = connection
        brokers = kafka1:9092,kafka2:9092   ; Comma-separated broker list
                                             ; Default: localhost:9092
        client_id = asterisk                 ; Client identifier sent to the broker
                                             ; Default: asterisk
        message_max_bytes = 1000000          ; Maximum message size in bytes
                                             ; Default: 1000000
        request_timeout_ms = 5000            ; Network request timeout
                                             ; Default: 5000
        message_timeout_ms = 300000          ; How long messages are buffered before
                                             ; delivery failure (broker outage tolerance)
                                             ; Default: 300000 (5 minutes)
        """

    @Test("the seed's sample parses to its documented values")
    func seedSample() throws {
        let file = try KafkaConnectionsFile.parse(Self.seedSample)
        #expect(file.isEnabled)
        #expect(file.connections.count == 1)
        let c = try #require(file.connection(named: "my-kafka"))
        #expect(c.brokers == ["kafka1:9092", "kafka2:9092"])
        #expect(c.clientID == "asterisk")
        #expect(c.messageMaxBytes == 1_000_000)
        #expect(c.requestTimeoutMilliseconds == 5_000)
        #expect(c.messageTimeoutMilliseconds == 300_000)
        #expect(c.properties.isEmpty)
        #expect(c.line == 4)
    }

    @Test("defaults apply to keys left out; other keys are librdkafka properties")
    func defaultsAndProperties() throws {
        let file = try KafkaConnectionsFile.parse("""
            [minimal]
            type = connection
            acks = all ; topic-level, by its librdkafka name
            linger.ms = 7
            """)
        let c = try #require(file.connection(named: "minimal"))
        #expect(c.brokers == ["localhost:9092"] && c.clientID == "asterisk")
        #expect(c.messageMaxBytes == 1_000_000 && c.requestTimeoutMilliseconds == 5_000 && c.messageTimeoutMilliseconds == 300_000)
        #expect(c.properties == ["acks": "all", "linger.ms": "7"])
        let entries = try c.configuration.effectiveProperties()
        #expect(entries.contains { $0.name == "queue.buffering.max.ms" && $0.value == "7" })
        #expect(entries.contains { $0.name == "request.required.acks" && $0.value == "-1" })
    }

    @Test("enabled = no is read")
    func disabled() throws {
        #expect(try !KafkaConnectionsFile.parse("[general]\nenabled = no\n").isEnabled)
    }

    /// Each bad input, with the line the error must name and a phrase it must contain.
    static let bad: [(String, Int, String)] = [
        ("[general]\nenabled = maybe\n", 2, "enabled must be yes or no"),
        ("brokers = x:1\n[a]\ntype = connection\n", 1, "outside any section"),
        ("[a]\ntype = connection\n\n[a]\ntype = connection\n", 4, "duplicate section [a] (first at line 1)"),
        ("[a]\ntype = cluster\n", 2, "unknown type 'cluster'"),
        ("[a]\nbrokers = x:1\n", 1, "has no 'type'"),
        ("[a]\ntype = connection\nmessage_max_bytes = lots\n", 3, "message_max_bytes must be a non-negative whole number"),
        ("[a]\ntype = connection\nrequest_timeout_ms = -5\n", 3, "request_timeout_ms must be"),
        ("[a]\ntype = connection\nbrokers = , ,\n", 3, "brokers is empty"),
        ("[a]\ntype = connection\njust some words\n", 3, "is not 'key = value'"),
        ("[a\ntype = connection\n", 1, "must be a section header"),
        ("[a]\ntype = connection\n= value\n", 3, "has no key"),
        ("[general]\ncolour = blue\n", 2, "unknown key 'colour' in [general]"),
    ]

    @Test("every malformed file gets an error naming the file, the line and the problem", arguments: 0..<bad.count)
    func errors(_ i: Int) throws {
        let (text, line, phrase) = Self.bad[i]
        let error = try #require(throws: KafkaError.self) { try KafkaConnectionsFile.parse(text, file: "/etc/kafka/kafka.conf") }
        #expect(error.file == "/etc/kafka/kafka.conf")
        #expect(error.line == line, "\(error)")
        #expect(error.message.contains(phrase), "\(error.message)")
        #expect(error.description.contains("/etc/kafka/kafka.conf:\(line)"))
    }

    @Test("a malformed line is never quoted: it may hold a secret", arguments: [
        "[prod]\ntype = connection\nsasl.password hunter2\n",
        "[prod]\ntype = connection\n= hunter2\n",
        "[hunter2\n",
    ])
    func malformedLineNotQuoted(_ text: String) throws {
        let error = try #require(throws: KafkaError.self) { try KafkaConnectionsFile.parse(text, file: "kafka.conf") }
        #expect(!error.message.contains("hunter2") && !error.description.contains("hunter2"), "\(error)")
    }

    @Test("a missing file is a clear error naming it")
    func missingFile() throws {
        let error = try #require(throws: KafkaError.self) { try KafkaConnectionsFile.load(path: "/nonexistent/kafka.conf") }
        #expect(error.file == "/nonexistent/kafka.conf")
        #expect(error.message.contains("cannot read"))
    }
}

@Suite("Connection registry")
struct ConnectionRegistryTests {
    @Test("producers are created on first use and shared; unknown names list the known ones")
    func lazyShared() throws {
        let registry = KafkaConnectionRegistry(try KafkaConnectionsFile.parse("""
            [one]
            type = connection
            brokers = 127.0.0.1:1
            [two]
            type = connection
            brokers = 127.0.0.1:1
            """))
        let a = try registry.producer(for: "one")
        let b = try registry.producer(for: "one")
        #expect(a === b)
        #expect(try registry.producer(for: "two") !== a)
        let error = try #require(throws: KafkaError.self) { try registry.producer(for: "three") }
        #expect(error.message == "no connection named 'three' (known: one, two)")
    }

    @Test("disabled connections are refused with a clear error")
    func disabled() throws {
        let registry = KafkaConnectionRegistry(try KafkaConnectionsFile.parse("[general]\nenabled = no\n[one]\ntype = connection\n"))
        let error = try #require(throws: KafkaError.self) { try registry.producer(for: "one") }
        #expect(error.message.contains("disabled"))
    }

    @Test("a property librdkafka rejects is reported with the connection and the property's line")
    func badProperty() throws {
        let registry = KafkaConnectionRegistry(try KafkaConnectionsFile.parse("\n[bad]\ntype = connection\nlinger.ms = soon\n", file: "k.conf"))
        let error = try #require(throws: KafkaError.self) { try registry.producer(for: "bad") }
        #expect(error.property == "linger.ms")
        #expect(error.message.hasPrefix("connection 'bad': "))
        #expect(error.file == "k.conf" && error.line == 4)
    }

    @Test("reload keeps unchanged producers and replaces changed ones")
    func reload() async throws {
        let registry = KafkaConnectionRegistry(try KafkaConnectionsFile.parse("""
            [same]
            type = connection
            brokers = 127.0.0.1:1
            [changed]
            type = connection
            brokers = 127.0.0.1:1
            """))
        let same = try registry.producer(for: "same")
        let changed = try registry.producer(for: "changed")
        await registry.reload(try KafkaConnectionsFile.parse("""
            [same]
            type = connection
            brokers = 127.0.0.1:1
            [changed]
            type = connection
            brokers = 127.0.0.1:2
            """))
        #expect(try registry.producer(for: "same") === same)
        #expect(try registry.producer(for: "changed") !== changed)
        let error = try #require(throws: KafkaError.self) { try changed.trySend(KafkaProducerRecord(topic: "t", value: "x")) }
        #expect(error.code == .destroyed, "the replaced producer was shut down")
        await registry.shutdown()
    }

    @Test("produce sends through the named connection", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
    func produce() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("registry")
        let registry = KafkaConnectionRegistry(try KafkaConnectionsFile.parse("[local]\ntype = connection\nbrokers = \(servers)\n"))
        try registry.produce(connection: "local", topic: topic, key: Array("k".utf8), payload: Array("hello".utf8))
        try await registry.producer(for: "local").flush(timeout: .seconds(30))
        let read = try PlainConsumer.read(topic: topic, count: 1, bootstrapServers: servers)
        #expect(read.first?.key == Array("k".utf8) && read.first?.value == Array("hello".utf8))
        await registry.shutdown()
    }
}
