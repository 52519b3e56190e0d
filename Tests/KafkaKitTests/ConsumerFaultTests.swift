import Foundation
import KafkaKitTestSupport
import Synchronization
import Testing

@testable import KafkaKit

/// Group consumers under faults on librdkafka's mock cluster: rebalances while the
/// application holds records, injected Fetch errors, members joining and leaving while a
/// producer writes (classic eager, classic cooperative and KIP-848 groups), coordinator moves.
/// Nothing a consumer took is lost; nothing committed is read again.
@Suite("Consumer faults on the mock cluster", .serialized)
struct ConsumerFaultTests {
    func cluster(partitions: Int32, topic: String) -> MockCluster {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic(topic, partitions: partitions, replicationFactor: 3)
        cluster.setGroupInitialRebalanceDelay(milliseconds: 0)
        cluster.setConsumerGroupHeartbeatInterval(milliseconds: 300)
        return cluster
    }

    func produce(_ cluster: MockCluster, topic: String, count: Int, partitions: Int32, from start: Int = 0) async throws {
        var configuration = cluster.configuration()
        configuration["enable.idempotence"] = "true"
        let producer = try KafkaProducer(configuration: configuration)
        for i in start..<(start + count) {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: Int32(i % Int(partitions)), value: "\(i)"))
        }
        try await producer.flush(timeout: .seconds(60))
        #expect(producer.deliveredCount == count)
        await producer.shutdown()
    }

    enum GroupProtocol: String, CaseIterable, Sendable {
        case classicEager, classicCooperative, consumer

        func apply(to configuration: inout KafkaConfiguration) {
            switch self {
            case .classicEager:
                configuration["partition.assignment.strategy"] = "range"
                configuration["session.timeout.ms"] = "6000"
                configuration["heartbeat.interval.ms"] = "300"
            case .classicCooperative:
                configuration["partition.assignment.strategy"] = "cooperative-sticky"
                configuration["session.timeout.ms"] = "6000"
                configuration["heartbeat.interval.ms"] = "300"
            case .consumer:
                configuration["group.protocol"] = "consumer"
            }
        }
    }

    func memberConfiguration(_ cluster: MockCluster, group: String, protocol groupProtocol: GroupProtocol) -> KafkaConfiguration {
        var configuration = cluster.configuration()
        configuration["group.id"] = group
        configuration["auto.offset.reset"] = "earliest"
        configuration["enable.auto.commit"] = "false"
        groupProtocol.apply(to: &configuration)
        return configuration
    }

    // MARK: Rebalance while records are held

    @Test("records held across a rebalance that moved their partition are not committed for the new owner", arguments: GroupProtocol.allCases)
    func heldAcrossRebalance(_ groupProtocol: GroupProtocol) async throws {
        let topic = "held"
        let cluster = cluster(partitions: 2, topic: topic)
        try await produce(cluster, topic: topic, count: 400, partitions: 2)
        let group = "held-\(groupProtocol.rawValue)"
        let a = try KafkaConsumer(configuration: memberConfiguration(cluster, group: group, protocol: groupProtocol))
        try a.subscribe(topics: [topic])

        // A commits offset 10 of both partitions and keeps one record of each (offsets 20)
        // for later, as a batching application does, reading on meanwhile.
        let held = Mutex<[Int32: KafkaConsumerMessage]>([:])
        let reading = Task {
            for await message in a.messages {
                if message.offset == 9 { try? await a.commit(message) }
                if message.offset == 20 { held.withLock { $0[message.partition] = message } }
            }
        }
        try await withDeadline(seconds: 60) {
            while held.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(20)) }
        }
        let heldMessages = held.withLock { $0 }

        // B joins; the group gives it one partition, which A gives up during its reading.
        let b = try KafkaConsumer(configuration: memberConfiguration(cluster, group: group, protocol: groupProtocol))
        try b.subscribe(topics: [topic])
        let first = try await withDeadline(seconds: 60) { () -> (partition: Int32, offset: Int64) in
            for await message in b.messages { return (message.partition, message.offset) }
            return (-1, -1)
        }
        #expect(first.offset == 10, "the new owner starts at the group's committed offset")
        let moved = first.partition
        let kept = 1 - moved

        // A's commit of the moved partition's record is refused; the group's offset stays.
        let error = try await #require(throws: KafkaError.self) { try await a.commit(heldMessages[moved]!) }
        #expect(error.code == .assignmentLost)
        #expect(error.message.contains("\(topic)/\(moved)") && error.message.contains("offset 20"), "\(error)")
        #expect(throws: KafkaError.self) { try a.storeOffset(heldMessages[moved]!) }
        let committed = try await b.committed([KafkaTopicPartition(topic: topic, partition: moved)])
        #expect(committed.first?.offset == 10)

        // The partition A kept: eager rebalancing revoked it too (A restarts it from the
        // committed offset, so its held record is stale); incremental ones left it with A.
        if groupProtocol == .classicEager {
            await #expect(throws: KafkaError.self) { try await a.commit(heldMessages[kept]!) }
        } else {
            try await a.commit(heldMessages[kept]!)
            let keptCommitted = try await a.committed([KafkaTopicPartition(topic: topic, partition: kept)])
            #expect(keptCommitted.first?.offset == 21)
        }
        reading.cancel()
        await reading.value
        try await a.commitConsumed()
        let after = try await b.committed([KafkaTopicPartition(topic: topic, partition: moved)])
        #expect(after.first?.offset == 10, "nothing A read of the moved partition was committed")
        print("FAULT consumer held-across-rebalance \(groupProtocol.rawValue): commit of the moved partition refused (\(error.code)), committed offset stayed 10")
        await b.close()
        await a.close()
    }

    // MARK: Fetch errors

    @Test("injected Fetch errors: every record once, in order, none skipped")
    func fetchErrors() async throws {
        let topic = "fetch-errors"
        let partitions: Int32 = 3
        let cluster = cluster(partitions: partitions, topic: topic)
        try await produce(cluster, topic: topic, count: 30_000, partitions: partitions)
        let consumer = try KafkaConsumer(configuration: memberConfiguration(cluster, group: "fetch-errors", protocol: .classicEager))
        try consumer.subscribe(topics: [topic])
        let fetch: Int16 = 1
        // NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR, FENCED_LEADER_EPOCH,
        // UNKNOWN_LEADER_EPOCH, NOT_ENOUGH_REPLICAS: each retriable for a fetch.
        let codes: [Int32] = [6, 7, 56, 74, 76, 19]
        let perPartition = try await withDeadline(seconds: 120) {
            var perPartition: [Int32: [Int]] = [:]
            var read = 0
            for await message in consumer.messages {
                perPartition[message.partition, default: []].append(Int(message.valueString ?? "") ?? -1)
                read += 1
                if read % 3000 == 0 { cluster.pushRequestErrors(apiKey: fetch, codes + codes) }
                if read == 30_000 { break }
            }
            return perPartition
        }
        for p in 0..<partitions {
            #expect(perPartition[p] == Array(stride(from: Int(p), to: 30_000, by: Int(partitions))), "partition \(p): in order, once each")
        }
        print("FAULT consumer fetch-errors: read 30000, \(codes.count * 2 * 10) Fetch errors injected, skipped 0, repeated 0")
        await consumer.close()
    }

    // MARK: Group ETL

    @Test("members join and leave while a producer writes: none skipped, nothing committed read again", arguments: GroupProtocol.allCases)
    func groupETL(_ groupProtocol: GroupProtocol) async throws {
        let topic = "etl"
        let partitions: Int32 = 4
        let total = 20_000
        let cluster = cluster(partitions: partitions, topic: topic)
        let group = "etl-\(groupProtocol.rawValue)"
        let log = GroupLog()

        let producer = Task {
            var configuration = cluster.configuration()
            configuration["enable.idempotence"] = "true"
            let producer = try KafkaProducer(configuration: configuration)
            for i in 0..<total {
                _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: Int32(i % Int(partitions)), value: "\(i)"))
                if i % 250 == 249 { try await Task.sleep(for: .milliseconds(100)) }
            }
            try await producer.flush(timeout: .seconds(60))
            let delivered = producer.deliveredCount
            await producer.shutdown()
            return delivered
        }

        var members: [ETLMember] = []
        func join() throws {
            let member = ETLMember(
                consumer: try KafkaConsumer(configuration: memberConfiguration(cluster, group: group, protocol: groupProtocol)),
                topic: topic, log: log)
            try member.start()
            members.append(member)
        }
        try join()
        try join()
        // Membership changes while the producer writes (about 8 s): join, leave, join, leave, join.
        for step in 0..<5 {
            try await Task.sleep(for: .milliseconds(1300))
            if step % 2 == 0 { try join() } else { await members.removeFirst().leave() }
        }
        let delivered = try await producer.value
        #expect(delivered == total)
        try await withDeadline(seconds: 120) {
            while log.distinctCount < total { try await Task.sleep(for: .milliseconds(50)) }
        }
        for member in members { await member.leave() }

        let audit = log.audit(partitions: partitions, perPartition: total / Int(partitions))
        print("FAULT consumer group-etl \(groupProtocol.rawValue): \(audit)")
        #expect(audit.skipped == 0, "every record was read")
        #expect(audit.readBelowCommit == 0, "no record read again after its offset was committed")
        #expect(audit.commitsBackwards == 0, "no commit moved a partition's offset back")
    }
}

/// One member of the ETL group: reads, logs each record, commits every 50 records of a
/// partition and, when it leaves, the last record of each partition it read.
final class ETLMember: Sendable {
    let consumer: KafkaConsumer
    let topic: String
    let log: GroupLog
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(consumer: KafkaConsumer, topic: String, log: GroupLog) {
        self.consumer = consumer
        self.topic = topic
        self.log = log
    }

    func start() throws {
        try consumer.subscribe(topics: [topic])
        let consumer = consumer
        let log = log
        task.withLock {
            $0 = Task {
                var last: [Int32: KafkaConsumerMessage] = [:]
                var sinceCommit: [Int32: Int] = [:]
                for await message in consumer.messages {
                    log.read(partition: message.partition, offset: message.offset)
                    last[message.partition] = message
                    sinceCommit[message.partition, default: 0] += 1
                    if sinceCommit[message.partition]! >= 50 {
                        sinceCommit[message.partition] = 0
                        await Self.commit(message, consumer, log)
                    }
                    if Task.isCancelled { break }
                }
                for message in last.values { await Self.commit(message, consumer, log) }
            }
        }
    }

    private static func commit(_ message: KafkaConsumerMessage, _ consumer: KafkaConsumer, _ log: GroupLog) async {
        do {
            try await consumer.commit(message)
            log.committed(partition: message.partition, offset: message.offset + 1)
        } catch {
            log.commitRefused()
        }
    }

    /// Stops reading (after the record in hand), commits, closes.
    func leave() async {
        let task = task.withLock { $0 }
        task?.cancel()
        await task?.value
        await consumer.close()
    }
}

/// The group's history in one order: records read and commits that succeeded.
final class GroupLog: Sendable {
    private struct State {
        var committed: [Int32: Int64] = [:]
        var seen: [Int32: Set<Int64>] = [:]
        var reads = 0
        var readBelowCommit = 0
        var commitsBackwards = 0
        var refused = 0
    }

    struct Audit: CustomStringConvertible {
        var reads: Int
        var distinct: Int
        var skipped: Int
        var readBelowCommit: Int
        var commitsBackwards: Int
        var refusedCommits: Int
        var description: String {
            "read \(reads) (\(distinct) distinct, \(reads - distinct) again before a commit covered them) skipped \(skipped)"
                + " read-below-commit \(readBelowCommit) commits-backwards \(commitsBackwards) commits-refused-after-revocation \(refusedCommits)"
        }
    }

    private let state = Mutex(State())

    func read(partition: Int32, offset: Int64) {
        state.withLock { state in
            state.reads += 1
            state.seen[partition, default: []].insert(offset)
            if let committed = state.committed[partition], offset < committed { state.readBelowCommit += 1 }
        }
    }

    func committed(partition: Int32, offset: Int64) {
        state.withLock { state in
            if let previous = state.committed[partition], offset < previous { state.commitsBackwards += 1 }
            state.committed[partition] = offset
        }
    }

    func commitRefused() { state.withLock { $0.refused += 1 } }

    var distinctCount: Int { state.withLock { $0.seen.values.reduce(0) { $0 + $1.count } } }

    func audit(partitions: Int32, perPartition: Int) -> Audit {
        state.withLock { state in
            var skipped = 0
            for p in 0..<partitions {
                let seen = state.seen[p] ?? []
                skipped += (0..<Int64(perPartition)).filter { !seen.contains($0) }.count
            }
            let distinct = state.seen.values.reduce(0) { $0 + $1.count }
            return Audit(reads: state.reads, distinct: distinct, skipped: skipped, readBelowCommit: state.readBelowCommit,
                         commitsBackwards: state.commitsBackwards, refusedCommits: state.refused)
        }
    }
}
