import Foundation
import KafkaKitTestSupport
import Testing

@testable import KafkaKit

/// The admin client's broker API table on librdkafka's mock cluster (which lacks OffsetDelete):
/// probed on the first check, used by the next ones, forgotten when the broker goes away.
@Suite("Admin client's broker API table on the mock cluster")
struct AdminBrokerAPIsMockClusterTests {
    static func isKnown(_ admin: KafkaAdminClient) -> Bool {
        if case .known = admin.brokerAPIs.withLock({ $0.lookup() }) { return true }
        return false
    }

    @Test("the first check probes and keeps the table; later ones refuse from it; a lost broker connection forgets it, and the next check probes again")
    func cachedUntilConnectionLost() async throws {
        let cluster = MockCluster()
        cluster.createTopic("t", partitions: 1)
        let admin = try KafkaAdminClient(configuration: cluster.configuration())
        let p = [KafkaTopicPartition(topic: "t", partition: 0)]
        try await withDeadline(seconds: 60) {
            // The admin client's own connection, for it to lose later.
            _ = try await admin.metadata(timeout: .seconds(10))
            #expect(!Self.isKnown(admin))
            for _ in 0..<3 {
                let refused = await #expect(throws: KafkaError.self) { try await admin.deleteConsumerGroupOffsets(group: "g", partitions: p) }
                #expect(refused?.code == .unsupportedFeature && refused?.message.contains("OffsetDelete") == true, "\(String(describing: refused))")
                #expect(Self.isKnown(admin))
            }
            let table: RDKafkaBrokerAPIs.Table? = admin.brokerAPIs.withLock {
                if case .known(let table) = $0.lookup() { return table }
                return nil
            }
            #expect(table?[47] == nil && table?[3] != nil, "the mock announces Metadata, not OffsetDelete")

            cluster.setBrokerDown(1)
            // librdkafka reports the lost connection on the admin client's main queue.
            var forgotten = false
            for _ in 0..<200 where !forgotten {
                admin.collectConnectionErrors()
                forgotten = !Self.isKnown(admin)
                if !forgotten { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(forgotten)
            cluster.setBrokerUp(1)
            let again = await #expect(throws: KafkaError.self) { try await admin.deleteConsumerGroupOffsets(group: "g", partitions: p) }
            #expect(again?.code == .unsupportedFeature, "\(String(describing: again))")
            #expect(Self.isKnown(admin))
        }
    }
}
