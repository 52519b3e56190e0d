import Foundation
import KafkaKitTestSupport
import Synchronization
import Testing

@testable import KafkaKit

/// 100 000 messages per fault on librdkafka's mock cluster (3 brokers, 4 partitions with 3
/// replicas), with and without idempotence. Each message carries its sequence number and goes
/// to partition `sequence % 4`; afterwards every report is matched with the log read back
/// (``DeliveryAudit``): every message has exactly one outcome, nothing delivered is missing,
/// and with idempotence nothing is stored twice or out of order — for every fault the
/// producer rides out (not across message timeouts: see the end of the test).
///
/// Each case prints its audit (`FAULT ...`): the README's table of faults is made of them.
@Suite("Producer faults: 100 000 messages each, every one accounted for", .serialized)
struct ProducerFaultTests {
    static let count = 100_000
    static let partitions: Int32 = 4
    static let topic = "faults"

    enum Fault: String, CaseIterable, Sendable {
        /// The leader of some partitions down for 3 s mid-stream.
        case brokerDown
        /// 10 Produce requests answered NOT_ENOUGH_REPLICAS_AFTER_APPEND (retriable).
        case notEnoughReplicasAfterAppend
        /// 10 Produce requests answered REQUEST_TIMED_OUT at once.
        case requestTimedOut
        /// Two Produce requests per broker answered REQUEST_TIMED_OUT after 3 s, past a
        /// `message.timeout.ms` of 2 s: what was queued times out (possibly stored); the
        /// sends pause for 4 s, and the producer recovers for the rest.
        case requestTimedOutPastMessageTimeout
        /// Every partition's leader moved to another broker mid-stream.
        case leaderChange
        /// A broker removed from the cluster mid-stream (its partitions move), added back 2 s later.
        case brokerRemovedAndReAdded

        /// Whether every message must end delivered (faults a producer rides out).
        var deliversAll: Bool { self != .requestTimedOutPastMessageTimeout }
    }

    @Test("every message one outcome, none lost; with idempotence no duplicate, in order", arguments: Fault.allCases, [true, false])
    func fault(_ fault: Fault, idempotent: Bool) async throws {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic(Self.topic, partitions: Self.partitions, replicationFactor: 3)
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(5)
        configuration["enable.idempotence"] = idempotent ? "true" : "false"
        configuration["queue.buffering.max.messages"] = "1000000"
        configuration["retry.backoff.ms"] = "50"
        configuration.messageTimeout = fault == .requestTimedOutPastMessageTimeout ? .seconds(2) : .seconds(90)
        let reports = ReportCollector()
        let producer = try KafkaProducer(configuration: configuration) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }

        var sequences: [KafkaProducerMessageID?] = []
        sequences.reserveCapacity(Self.count)
        var refusals: [Int: KafkaError.Code] = [:]
        var restore: Task<Void, Never>?
        for sequence in 0..<Self.count {
            if sequence == Self.count * 3 / 10 {
                restore = inject(fault, into: cluster)
                if fault == .requestTimedOutPastMessageTimeout { try await Task.sleep(for: .seconds(4)) }
            }
            let record = KafkaProducerRecord(topic: Self.topic, partition: Int32(sequence % Int(Self.partitions)), value: "\(sequence)")
            do {
                sequences.append(try await producer.send(record))
            } catch let error as KafkaError {
                sequences.append(nil)
                refusals[sequence] = error.code
            }
        }
        await restore?.value
        try await producer.flush(timeout: .seconds(120))
        let accepted = sequences.count - refusals.count
        try await withDeadline(seconds: 60) {
            while reports.reports.count < accepted { try await Task.sleep(for: .milliseconds(20)) }
        }
        await producer.shutdown()

        let log = try PlainConsumer.readPartitions(topic: Self.topic, bootstrapServers: cluster.bootstrapServers)
        let audit = DeliveryAudit(sequences: sequences, refusals: refusals, reports: reports.reports, log: log, partitions: Self.partitions)
        print("FAULT producer \(fault.rawValue) idempotence=\(idempotent): \(audit)")

        #expect(audit.sent == Self.count)
        #expect(audit.unreported == 0 && audit.reportedTwice == 0, "every message exactly one outcome")
        #expect(audit.delivered + audit.failedCount == Self.count)
        #expect(audit.lost == 0, "every delivered message is in the log")
        #expect(audit.unknown == 0)
        #expect(audit.failedButStored == 0, "a message reported as not stored is not in the log")
        if fault.deliversAll {
            #expect(audit.delivered == Self.count, "a fault the producer rides out fails no message")
        } else {
            #expect(audit.failed.keys.allSatisfy { $0 == .messageTimedOut }, "only timeouts")
            #expect(audit.delivered > 0, "the producer recovers after the timeouts")
        }
        // Idempotence promises no duplicate and no reordering while the producer can retry.
        // Not across message timeouts: librdkafka cannot retry a timed-out message, bumps the
        // epoch, and records of other partitions in flight then may be written twice (its
        // maintainers say so in librdkafka issue #4953). Seen here once in 15 CI runs:
        // 2 938 duplicates after 24 124 timeouts. Every outcome is still checked above.
        if idempotent && fault.deliversAll {
            #expect(audit.duplicates == 0)
            #expect(audit.outOfOrder == 0)
        }
    }

    /// Starts `fault`; returns the task that ends it, if it ends on its own.
    private func inject(_ fault: Fault, into cluster: MockCluster) -> Task<Void, Never>? {
        let produce: Int16 = 0
        switch fault {
        case .brokerDown:
            cluster.setBrokerDown(2)
            return Task {
                try? await Task.sleep(for: .seconds(3))
                cluster.setBrokerUp(2)
            }
        case .notEnoughReplicasAfterAppend:
            cluster.pushRequestErrors(apiKey: produce, Array(repeating: 20, count: 10))
        case .requestTimedOut:
            cluster.pushRequestErrors(apiKey: produce, Array(repeating: 7, count: 10))
        case .requestTimedOutPastMessageTimeout:
            for broker in Int32(1)...3 {
                cluster.pushBrokerRequestErrors(broker: broker, apiKey: produce, code: 7, rttMilliseconds: 3000, count: 2)
            }
        case .leaderChange:
            for partition in 0..<Self.partitions {
                cluster.setLeader(topic: Self.topic, partition: partition, broker: (partition + 1) % 3 + 1)
            }
        case .brokerRemovedAndReAdded:
            cluster.decommissionBroker(2)
            return Task {
                try? await Task.sleep(for: .seconds(2))
                cluster.addBroker(2)
            }
        }
        return nil
    }
}
