import KafkaKit
import KafkaKitConnections
import KafkaKitEvents
import KafkaKitTestSupport
import Testing

@Suite("Event publisher on the mock cluster")
struct PublisherMockClusterTests {
    func spec(_ cluster: MockCluster, _ topic: String, _ extra: String = "") throws -> KafkaBrokerSpec {
        try KafkaBrokerSpec(parsing: "[m]\(cluster.bootstrapServers)/\(topic)?g.log_level=0\(extra)")
    }

    @Test("a full local queue: publish fails at once with queue-full; publishWaitingForQueueSpace waits, and every message is reported once")
    func queueFull() async throws {
        let cluster = MockCluster()
        cluster.createTopic("full", partitions: 1)
        let publisher = try KafkaEventPublisher(brokers: [spec(cluster, "full", "&g.queue.buffering.max.messages=5&g.linger.ms=50")])
        let reports = ReportLog()
        // Nothing is delivered (nor leaves the queue) while the broker is down: the burst
        // fills the queue whatever the linger and the timing.
        cluster.setBrokerDown()
        var refused: KafkaError?
        var queued = 0
        for i in 0..<50 {
            do {
                try publisher.publish(broker: "m", message: "burst \(i)", report: reports.handler)
                queued += 1
            } catch {
                refused = error
                break
            }
        }
        #expect(refused?.code == .queueFull, "\(String(describing: refused))")
        #expect(refused?.message.hasPrefix("broker 'm': ") == true)
        #expect(queued == 5)
        cluster.setBrokerUp()
        for i in 0..<500 {
            try await publisher.publishWaitingForQueueSpace(broker: "m", message: Array("waited \(i)".utf8), report: reports.handler)
        }
        try await reports.wait(for: queued + 500)
        await publisher.shutdown()
        #expect(reports.count == queued + 500, "exactly one report per queued message")
        #expect(reports.all.allSatisfy { $0.isDelivered })
        #expect(Set(reports.all.map(\.message)).count == queued + 500)
    }

    @Test("a broker down past t.message.timeout.ms: every publish reports its failure once; the broker coming back delivers later ones")
    func brokerDown() async throws {
        let cluster = MockCluster()
        cluster.createTopic("down", partitions: 1)
        let publisher = try KafkaEventPublisher(brokers: [spec(cluster, "down", "&t.message.timeout.ms=1000&g.reconnect.backoff.max.ms=200")])
        _ = try await publisher.publishAndWait(broker: "m", message: Array("warm-up".utf8))
        cluster.setBrokerDown()
        let failed = ReportLog()
        for i in 0..<30 { try publisher.publish(broker: "m", message: "lost \(i)", key: "k\(i)", report: failed.handler) }
        try await failed.wait(for: 30)
        #expect(failed.all.allSatisfy { $0.error?.code == .messageTimedOut && $0.brokerID == "m" })
        #expect(Set(failed.all.compactMap { $0.key.map { String(decoding: $0, as: UTF8.self) } }).count == 30, "each report carries its own key")
        cluster.setBrokerUp()
        // librdkafka reconnects with a backoff; a message may time out before it has: try
        // again until one is delivered, bounded by a deadline that fails the test.
        let after = try await withDeadline(seconds: 60) {
            while true {
                try Task.checkCancellation()
                if let report = try? await publisher.publishAndWait(broker: "m", message: Array("after".utf8)) { return report }
            }
        }
        #expect(after.offset >= 1, "delivered once the broker is back, after the warm-up")
        await publisher.shutdown()
        #expect(failed.count == 30, "no second report")
    }
}
