import CLibrdkafka
import Testing

@testable import KafkaKit

@Suite("Configuration")
struct ConfigurationTests {
    @Test("an unknown property fails creation and is named in the error")
    func unknownProperty() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["no.such.property"] = "1"
        let error = try #require(throws: KafkaError.self) { try KafkaProducer(configuration: configuration) }
        #expect(error.property == "no.such.property")
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("unknown configuration property"))
        #expect(error.description.contains("property no.such.property"))
    }

    @Test("an invalid value fails creation with librdkafka's reason and the property")
    func invalidValue() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["linger.ms"] = "soon"
        let error = try #require(throws: KafkaError.self) { try KafkaProducer(configuration: configuration) }
        #expect(error.property == "linger.ms")
        #expect(error.message.contains("Invalid value"), "librdkafka's reason: \(error.message)")
    }

    @Test("an invalid topic-level value is named too")
    func invalidTopicProperty() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.topicProperties["request.required.acks"] = "many"
        let error = try #require(throws: KafkaError.self) { try KafkaProducer(configuration: configuration) }
        #expect(error.property == "request.required.acks")
    }

    @Test("topic properties add to the topic-level names set globally instead of replacing them")
    func topicPropertiesKeepGlobalTopicLevelNames() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["acks"] = "1"
        configuration.topicProperties["message.timeout.ms"] = "1234"
        let topic = Dictionary(
            try configuration.effectiveProperties().filter { $0.scope == .topic }.map { ($0.name, $0.value) },
            uniquingKeysWith: { a, _ in a })
        #expect(topic["partitioner"] == "murmur2_random", "the default partitioner survives topic properties")
        #expect(topic["request.required.acks"] == "1")
        #expect(topic["message.timeout.ms"] == "1234")
    }

    @Test("an out-of-range partitioner name is rejected by librdkafka")
    func invalidPartitioner() throws {
        var configuration = KafkaConfiguration()
        configuration["partitioner"] = "round-robin-ish"
        let error = try #require(throws: KafkaError.self) { try configuration.effectiveProperties() }
        #expect(error.property == "partitioner")
    }

    @Test("effective properties list librdkafka's view, defaults included")
    func effectiveProperties() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["a:1", "b:2"])
        configuration.clientID = "tester"
        configuration.acks = .all
        configuration.linger = .milliseconds(7)
        configuration.compression = .lz4
        let entries = try configuration.effectiveProperties()
        let global = Dictionary(entries.filter { $0.scope == .global }.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let topic = Dictionary(entries.filter { $0.scope == .topic }.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        // librdkafka lists aliases under their canonical names.
        #expect(global["metadata.broker.list"] == "a:1,b:2")
        #expect(global["client.id"] == "tester")
        #expect(global["queue.buffering.max.ms"] == "7")
        #expect(global["compression.codec"] == "lz4")
        #expect(global["socket.timeout.ms"] == "60000", "a librdkafka default must be listed")
        #expect(topic["partitioner"] == "murmur2_random", "KafkaKit's default partitioner is Java's")
        #expect(topic["request.required.acks"] == "-1")
        #expect(entries.count > 100)
    }

    @Test("a running producer lists its effective properties")
    func producerEffectiveProperties() async throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.messageMaxBytes = 123_456
        let producer = try KafkaProducer(configuration: configuration)
        let entries = producer.effectiveProperties()
        #expect(entries.contains(KafkaConfigurationEntry(name: "message.max.bytes", value: "123456", scope: .global)))
        #expect(entries.contains(KafkaConfigurationEntry(name: "partitioner", value: "murmur2_random", scope: .topic)))
        await producer.shutdown(timeout: .zero)
    }

    @Test("secrets are redacted from the property listing")
    func redactedListing() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["sasl.username"] = "alice"
        configuration["sasl.password"] = "hunter2-secret"
        configuration["ssl.key.password"] = "pem-pass-phrase"
        let entries = try configuration.effectiveProperties()
        #expect(entries.contains { $0.name == "sasl.username" && $0.value == "alice" })
        #expect(entries.contains { $0.name == "sasl.password" && $0.value == "[redacted]" })
        #expect(entries.contains { $0.name == "ssl.key.password" && $0.value == "[redacted]" })
        #expect(!entries.contains { $0.value.contains("hunter2") || $0.value.contains("pem-pass") })
    }

    @Test("a rejected secret value never appears in the error")
    func redactedError() throws {
        // librdkafka quotes rejected values; sasl.mechanism is not secret, so craft the check on
        // the redaction path librdkafka's message goes through.
        let text = "Invalid value \"hunter2\" for configuration property \"sasl.password\""
        let redacted = RDKafkaConfig.redact(text, property: "sasl.password", value: "hunter2")
        #expect(!redacted.contains("hunter2"))
        #expect(redacted.contains("[redacted]"))
        #expect(RDKafkaConfig.redact(text, property: "client.id", value: "hunter2") == text)

        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration["sasl.password"] = "hunter2"
        configuration["zzz.unknown"] = "x"
        let error = try #require(throws: KafkaError.self) { try configuration.effectiveProperties() }
        #expect(!error.description.contains("hunter2"))
    }

    @Test("typed conveniences write librdkafka's property names and values")
    func typedConveniences() {
        var configuration = KafkaConfiguration()
        configuration.acks = .noAcknowledgement
        configuration.isIdempotent = true
        configuration.messageTimeout = .seconds(3)
        configuration.requestTimeout = .milliseconds(1500)
        configuration.statisticsInterval = .seconds(1)
        configuration.partitioner = .consistentRandom
        #expect(configuration["acks"] == "0")
        #expect(configuration["enable.idempotence"] == "true")
        #expect(configuration["message.timeout.ms"] == "3000")
        #expect(configuration["request.timeout.ms"] == "1500")
        #expect(configuration["statistics.interval.ms"] == "1000")
        #expect(configuration["partitioner"] == "consistent_random")
        #expect(configuration.acks == KafkaConfiguration.Acks.noAcknowledgement)
        #expect(configuration.messageTimeout == .seconds(3))
        configuration.acks = nil
        #expect(configuration["acks"] == nil)
    }

    @Test("sensitive property names are recognised")
    func sensitiveNames() {
        for name in ["sasl.password", "ssl.key.password", "ssl.key.pem", "ssl.keystore.password",
                     "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config"] {
            #expect(KafkaConfiguration.isSensitive(name), "\(name)")
        }
        for name in ["sasl.username", "bootstrap.servers", "ssl.ca.location", "client.id"] {
            #expect(!KafkaConfiguration.isSensitive(name), "\(name)")
        }
    }

    @Test("the runtime librdkafka is new enough")
    func runtimeVersion() throws {
        try RDKafkaConfig.checkRuntimeVersion()
        #expect(rd_kafka_version() >= 0x020C_0000)
    }
}

@Suite("Errors")
struct ErrorTests {
    @Test("librdkafka codes map to their names, explanations and retriability")
    func mapping() {
        let timedOut = KafkaError(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, topic: "t")
        #expect(timedOut.code == .messageTimedOut)
        #expect(timedOut.code.name == "_MSG_TIMED_OUT")
        #expect(timedOut.message == "Local: Message timed out")
        #expect(timedOut.isRetriable)
        #expect(!timedOut.isFatal)
        #expect(timedOut.description == "KafkaError(_MSG_TIMED_OUT): Local: Message timed out [topic t]")

        let tooLarge = KafkaError(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        #expect(tooLarge.code.name == "MSG_SIZE_TOO_LARGE")
        #expect(!tooLarge.isRetriable)

        let fatal = KafkaError(RD_KAFKA_RESP_ERR__FATAL)
        #expect(fatal.isFatal)

        #expect(KafkaError.Code.purgedFromQueue.name == "_PURGE_QUEUE")
        #expect(KafkaError.Code.queueFull.rawValue == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue)
    }

    @Test("file and line appear in the description")
    func fileLine() {
        let error = KafkaError(code: .invalidArgument, message: "bad number", property: "message_max_bytes", file: "kafka.conf", line: 7)
        #expect(error.description == "KafkaError(_INVALID_ARG): bad number [kafka.conf:7, property message_max_bytes]")
    }
}
