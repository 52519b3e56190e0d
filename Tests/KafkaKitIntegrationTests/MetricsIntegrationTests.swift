import Foundation
import KafkaKit
import KafkaKitTestSupport
import MetricsTestKit
import Testing

/// Metrics fed by the local broker's clients' statistics: each client with a `TestMetrics` of
/// its own, nobody iterating any client's events.
@Suite("Metrics on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct MetricsIntegrationTests {
    static func configuration(_ factory: TestMetrics, clientID: String) throws -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration.clientID = clientID
        configuration.metrics = KafkaMetricsOptions(factory: factory, interval: .milliseconds(200))
        return configuration
    }

    @Test("sent and received counts reach what was produced; each assigned partition's lag gauge falls to 0; brokers are up")
    func producedAndConsumed() async throws {
        let topic = TestBroker.freshTopic("metrics")
        let adminMetrics = TestMetrics()
        let admin = try KafkaAdminClient(configuration: Self.configuration(adminMetrics, clientID: "metrics-admin"))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 3, replicationFactor: 1)])

        let producerMetrics = TestMetrics()
        let producer = try KafkaProducer(configuration: Self.configuration(producerMetrics, clientID: "metrics-producer"))
        for i in 0..<300 {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: Int32(i % 3), value: "record \(i)"))
        }
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.deliveredCount == 300)
        let producerClient = [("client.id", "metrics-producer")]
        // Sent counts transmissions: a retried batch would count again, never less.
        #expect(await eventually(seconds: 20) { producerMetrics.counterTotal(label: "kafka.producer.messages.sent") >= 300 })
        #expect(try producerMetrics.expectCounter("kafka.producer.messages.sent", producerClient).totalValue >= 300)
        #expect(await eventually(seconds: 20) {
            let states = producerMetrics.recorders(label: "kafka.producer.broker.state")
            return !states.isEmpty && states.allSatisfy { $0.lastValue == 2 }
        })
        #expect(producerMetrics.counterTotal(label: "kafka.producer.delivery.failures") == 0)

        let consumerMetrics = TestMetrics()
        var configuration = try Self.configuration(consumerMetrics, clientID: "metrics-consumer")
        configuration["group.id"] = "metrics-\(UUID().uuidString)"
        configuration["auto.offset.reset"] = "earliest"
        configuration["auto.commit.interval.ms"] = "100"
        configuration["session.timeout.ms"] = "6000"  // Tansu rebalances slowly otherwise
        configuration["heartbeat.interval.ms"] = "500"
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: [topic])
        // A group consumer's statistics come while it is read: read on until the end of the test.
        let reader = Task {
            var count = 0
            for await _ in consumer.messages { count += 1 }
            return count
        }
        let consumerClient = [("client.id", "metrics-consumer")]
        #expect(await eventually(seconds: 60) { consumerMetrics.counterTotal(label: "kafka.consumer.messages.received") >= 300 })
        for partition in 0..<3 {
            let dimensions = consumerClient + [("topic", topic), ("partition", "\(partition)")]
            #expect(await eventually(seconds: 30) { (try? consumerMetrics.expectGauge("kafka.consumer.lag", dimensions).lastValue) == 0 },
                    "partition \(partition)")
        }
        #expect(consumerMetrics.recorders(label: "kafka.consumer.lag").count == 3)
        #expect(try consumerMetrics.expectGauge("kafka.consumer.group.assignment.partitions", consumerClient).lastValue == 3)
        #expect(!adminMetrics.recorders(label: "kafka.admin.broker.state").isEmpty)
        await consumer.close()
        #expect(await reader.value >= 300)
        await producer.shutdown()
        try? await admin.deleteTopics([topic])
    }
}
