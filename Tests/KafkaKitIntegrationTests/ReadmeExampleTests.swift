import Foundation
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

    @Test("the consuming example runs")
    func consuming() async throws {
        let topic = TestBroker.freshTopic("orders")
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: [try TestBroker.servers()]))
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, key: "42", value: "created"))
        await producer.shutdown()

        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration["group.id"] = "billing-\(UUID().uuidString)"
        configuration["auto.offset.reset"] = "earliest"
        configuration["session.timeout.ms"] = "6000"
        configuration["enable.auto.offset.store"] = "false"  // optional: you say what is processed
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: [topic])
        @Sendable func process(_ consumer: KafkaConsumer) async throws -> Int64 {  // nonisolated: no main-actor hop per message
            for await message in consumer.messages {
                print(message.partition, message.offset, message.valueString ?? "<tombstone>")
                try consumer.storeOffset(message)
                return message.offset
            }
            return -1
        }
        #expect(try await withDeadline(seconds: 30) { try await process(consumer) } == 0)
        await consumer.close()
    }
}
