import KafkaKit
import KafkaKitConnections
import Testing

/// Inputs that `make fuzz` (Fuzz/) found wrong, each also in its seed corpus (Fuzz/Corpus).
@Suite("Sockets and kafka.conf: fuzzing regressions")
struct FuzzRegressionTests {
    @Test("where 'kafka:' is optional, a port after it means a host named kafka, and descriptions parse back")
    func hostNamedKafka() throws {
        let spec = try KafkaBrokerSpec(parsing: "[k1]kafka:9092/topic1")
        #expect(spec.socket.brokers == ["kafka:9092"] && spec.socket.topic == "topic1")
        let prefixed = try KafkaBrokerSpec(parsing: "[k1]kafka:kafka:9092,kafka:9093/t")
        #expect(prefixed.socket.brokers == ["kafka:9092", "kafka:9093"])
        // The description drops the prefix; it used to read back as the scheme and a broker '9092'.
        #expect(prefixed.description == "[k1]kafka:9092,kafka:9093/t")
        #expect(try KafkaBrokerSpec(parsing: prefixed.description) == prefixed)
        #expect(try KafkaBrokerSpec(parsing: "[k1]KAFKA:[::1]:9092/t").socket.brokers == ["[::1]:9092"])

        let file = try KafkaConnectionsFile.parse("[k1]\ntype = broker\nsocket = kafka:9092/topic1\n")
        #expect(file.broker(id: "k1")?.socket.brokers == ["kafka:9092"])

        // Where the scheme is required, it is the scheme.
        let socket = #expect(throws: KafkaError.self) { try KafkaSocket(parsing: "kafka:9092/t") }
        #expect(socket?.message.contains("missing port in broker '9092'") == true)
        #expect(try KafkaSocket(parsing: "kafka:kafka:9092/t").brokers == ["kafka:9092"])
    }

    @Test("a socket in a connection section is refused, not kept as a librdkafka property that shows its password")
    func socketInConnection() {
        let text = "[c]\ntype = connection\nsocket = kafka:h:1/t?g.sasl.password=hunter2\n"
        let error = #expect(throws: KafkaError.self) { try KafkaConnectionsFile.parse(text) }
        #expect(error?.line == 3 && error?.property == "socket", "\(String(describing: error))")
        #expect(error?.message.contains("belongs in a type = broker or subscription section") == true)
        #expect(error.map { !$0.description.contains("hunter2") } == true)
        let event = #expect(throws: KafkaError.self) { try KafkaConnectionsFile.parse("[c]\ntype = connection\nevent = E\n") }
        #expect(event?.property == "event")
    }
}
