import KafkaKitTestSupport
import Logging
import ServiceLifecycle
import Testing

@testable import KafkaKit

@Suite("Producer as a Service")
struct ProducerLifecycleTests {
    @Test("graceful shutdown of a ServiceGroup flushes the producer and ends its events")
    func gracefulShutdownFlushes() async throws {
        let cluster = MockCluster()
        cluster.createTopic("lifecycle", partitions: 2)
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(50)  // reports still outstanding when shutdown starts
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        // The sends run as a service of the group; once it returns the group shuts down
        // gracefully, from inside its run, whatever the timing.
        let sender = ClosureService {
            for i in 0..<300 { _ = try await producer.send(KafkaProducerRecord(topic: "lifecycle", value: "m\(i)")) }
        }
        let group = ServiceGroup(configuration: .init(services: [
            .init(service: producer),
            .init(service: sender, successTerminationBehavior: .gracefullyShutdownGroup),
        ], logger: Logger(label: "test")))

        try await withDeadline(seconds: 60) { try await group.run() }

        let delivered = try await withDeadline(seconds: 30) {
            var delivered = 0
            for await event in events {  // ends once the producer has shut down
                if case .deliveryReports(let batch) = event { delivered += batch.filter { $0.isDelivered }.count }
            }
            return delivered
        }
        #expect(delivered == 300)
        #expect(producer.outputQueueLength == 0)
        let error = try await #require(throws: KafkaError.self) {
            try await producer.send(KafkaProducerRecord(topic: "lifecycle", value: "after"))
        }
        #expect(error.code == .destroyed)
    }

    @Test("a producer dropped without shutdown still reports every message")
    func droppedProducerReports() async throws {
        let cluster = MockCluster()
        cluster.createTopic("dropped", partitions: 1)
        let configuration = cluster.configuration()
        cluster.setBrokerDown()
        // The producer lives only inside this call; its last reference goes when it returns.
        func sendAndDrop() async throws -> KafkaProducerEvents {
            let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
            for i in 0..<25 { _ = try await producer.send(KafkaProducerRecord(topic: "dropped", value: "m\(i)")) }
            return events
        }
        let events = try await sendAndDrop()
        let reports = try await withDeadline(seconds: 30) {
            var reports: [KafkaDeliveryReport] = []
            for await event in events { if case .deliveryReports(let batch) = event { reports += batch } }
            return reports
        }
        #expect(reports.count == 25)
        #expect(reports.allSatisfy { $0.errorCode == .purgedFromQueue || $0.errorCode == .purgedInFlight })
    }
}
