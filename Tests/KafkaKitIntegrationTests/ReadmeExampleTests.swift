import KafkaKit
import KafkaKitTestSupport
import Testing

/// The README's usage example, verbatim but for the broker address and topic.
@Suite("README example", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct ReadmeExampleTests {
    @Test("the usage example runs")
    func usage() async throws {
        let topic = TestBroker.freshTopic("orders")
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration.acks = .all
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        let report = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, key: "42", value: "created"))
        print("stored at \(report.partition)/\(report.offset)")
        let id = try await producer.send(KafkaProducerRecord(topic: topic, key: "42", value: "paid"))
        for await case .deliveryReports(let reports) in events where reports.contains(where: { $0.id == id }) { break }
        await producer.shutdown()
        #expect(producer.deliveredCount == 2)
    }
}
