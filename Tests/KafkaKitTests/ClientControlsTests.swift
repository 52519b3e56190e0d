import KafkaKit
import Testing

/// What the Tcl binding's handles need of a running client: its name, brokers added later,
/// its log level, a topic configuration of its own, the partitioners' hashing.
@Suite("Client controls")
struct ClientControlsTests {
    @Test("clientName is librdkafka's; addBrokers counts the brokers accepted")
    func nameAndBrokers() throws {
        let producer = try KafkaProducer(configuration: KafkaConfiguration())
        #expect(producer.clientName.hasPrefix("rdkafka#producer-"))
        #expect(producer.addBrokers("127.0.0.1:1,127.0.0.1:2") == 2)
        producer.setLibrdkafkaLogLevel(7)
        let consumer = try KafkaPartitionConsumer(configuration: KafkaConfiguration())
        #expect(consumer.clientName.hasPrefix("rdkafka#consumer-"))
        #expect(consumer.addBrokers("127.0.0.1:3") == 1)
        #expect(!KafkaConfiguration.librdkafkaVersion.isEmpty)
    }

    @Test("configureTopic rejects an unknown property, naming it and the topic")
    func configureTopicRejects() throws {
        let producer = try KafkaProducer(configuration: KafkaConfiguration())
        do {
            try producer.configureTopic("orders", properties: ["no.such.topic.property": "1"])
            Issue.record("an unknown property was accepted")
        } catch {
            #expect(error.property == "no.such.topic.property")
            #expect(error.topic == "orders")
            #expect(error.message.contains("no.such.topic.property"))
        }
    }

    @Test("configureTopic twice: the same properties are fine, others are refused")
    func configureTopicTwice() throws {
        let producer = try KafkaProducer(configuration: KafkaConfiguration())
        try producer.configureTopic("orders", properties: ["message.timeout.ms": "1000"])
        try producer.configureTopic("orders", properties: ["message.timeout.ms": "1000"])
        #expect(throws: KafkaError.self) { try producer.configureTopic("orders", properties: ["message.timeout.ms": "2000"]) }
        let consumer = try KafkaPartitionConsumer(configuration: KafkaConfiguration())
        try consumer.configureTopic("orders", properties: ["auto.offset.reset": "earliest"])
        #expect(throws: KafkaError.self) { try consumer.configureTopic("orders", properties: ["auto.offset.reset": "latest"]) }
    }

    @Test("a topic's own message.timeout.ms applies to its messages")
    func topicTimeoutApplies() async throws {
        // No broker: a message can only time out, after the topic's 300 ms, not the default 5 min.
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.shutdownTimeout = .seconds(5)
        let producer = try KafkaProducer(configuration: configuration)
        try producer.configureTopic("slow", properties: ["message.timeout.ms": "300"])
        do {
            _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "slow", value: "x"))
            Issue.record("a message to an unreachable broker was delivered")
        } catch let error as KafkaError {
            #expect(error.code == .messageTimedOut)
        }
        await producer.shutdown()
    }

    @Test("partition(forKey:) hashes like librdkafka: the same key, the same partition, in range")
    func partitionerHashing() {
        let key = Array("order-17".utf8)
        for partitioner in KafkaConfiguration.Partitioner.allCases where partitioner != .random {
            let first = partitioner.partition(forKey: key, partitionCount: 7)
            #expect(first >= 0 && first < 7)
            #expect(partitioner.partition(forKey: key, partitionCount: 7) == first)
        }
        // murmur2 is the Java client's: "a" lands on partition 0 of 1, and keys spread.
        #expect(KafkaConfiguration.Partitioner.murmur2.partition(forKey: Array("a".utf8), partitionCount: 1) == 0)
        let spread = Set((0..<100).map { KafkaConfiguration.Partitioner.consistent.partition(forKey: Array("k\($0)".utf8), partitionCount: 4) })
        #expect(spread == [0, 1, 2, 3])
    }

    @Test("subscription lists what subscribe was given; unsubscribe empties it")
    func subscription() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["group.id"] = "controls-test"
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: ["a", "^b.*"])
        #expect(Set(try consumer.subscription()) == ["a", "^b.*"])
        try consumer.unsubscribe()
        #expect(try consumer.subscription().isEmpty)
        // Nothing fetched yet: nothing is known, and nothing is asked of a broker.
        let cached = try consumer.cachedWatermarks(topic: "a", partition: 0)
        #expect(cached.high == KafkaOffset.invalid.rawValue, "\(cached)")
    }
}
