import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing

/// Transactions on the local broker, which (unlike librdkafka's mock cluster) keeps
/// transaction state: Tansu 0.6.0 takes InitProducerId with a transactional ID (fencing the
/// older producer), AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn, writes
/// commit and abort markers, holds `read_committed` readers at the last stable offset, and
/// commits a transaction's consumer offsets with it (those of an aborted one never).
///
/// What it does not do: list aborted transactions in its fetch answers, so a `read_committed`
/// reader is handed an aborted transaction's records that reached the broker (recorded below
/// as a known issue of the broker). The consume-transform-produce tests therefore keep the
/// records of the transaction interrupted by the stop inside the client (`linger.ms` 15 s:
/// only a commit's flush sends them), so that what they count depends on what KafkaKit
/// and the coordinator do — offsets committed with the output, the open transaction aborted or
/// fenced, the restart reading from the committed offsets — and not on that filtering.
@Suite("Transactions on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct TransactionIntegrationTests {
    func configuration() throws -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: [try TestBroker.servers()])
        configuration.clientID = "kafkakit-tests"
        return configuration
    }

    func transactional(_ id: String, holdRecords: Bool = false) throws -> KafkaConfiguration {
        var configuration = try configuration()
        configuration["transactional.id"] = id
        configuration["transaction.timeout.ms"] = "30000"
        // Held until a commit flushes them (see the suite's note); otherwise sent at once.
        // (Below transaction.timeout.ms, which message.timeout.ms follows.)
        configuration.linger = holdRecords ? .seconds(15) : .milliseconds(1)
        return configuration
    }

    func consumerConfiguration(group: String) throws -> KafkaConfiguration {
        var configuration = try configuration()
        configuration["group.id"] = group
        configuration["enable.auto.commit"] = "false"
        configuration["auto.offset.reset"] = "earliest"
        configuration["isolation.level"] = "read_committed"
        configuration["session.timeout.ms"] = "6000"
        return configuration
    }

    func createTopics(_ topics: [String], partitions: Int32) async throws {
        let admin = try KafkaAdminClient(configuration: configuration())
        try await admin.createTopics(topics.map { KafkaNewTopic(name: $0, partitions: partitions) })
    }

    func values(_ records: [ConsumedRecord]) -> [String] {
        records.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }
    }

    @Test("records of an open transaction are invisible to read_committed readers; the commit shows them all")
    func commitMakesVisible() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("txn-visible")
        try await createTopics([topic], partitions: 2)
        let producer = try KafkaProducer(configuration: transactional("visible-\(UUID().uuidString)"))
        try await producer.initTransactions()
        try producer.beginTransaction()
        for i in 0..<50 { _ = try await producer.send(KafkaProducerRecord(topic: topic, value: "open-\(i)")) }
        try await producer.flush(timeout: .seconds(30))  // in the log, not committed

        let uncommitted = try PlainConsumer.readToEnd(topic: topic, bootstrapServers: servers, isolation: .readUncommitted)
        #expect(uncommitted.count == 50, "the records are in the log")
        let before = try PlainConsumer.readToEnd(topic: topic, bootstrapServers: servers, isolation: .readCommitted)
        #expect(before.isEmpty, "read_committed sees nothing of an open transaction, saw \(before.count)")

        try await producer.commitTransaction()
        let after = try PlainConsumer.readToEnd(topic: topic, bootstrapServers: servers, isolation: .readCommitted)
        #expect(Set(values(after)) == Set((0..<50).map { "open-\($0)" }))
        #expect(after.count == 50)
        await producer.shutdown()
    }

    @Test("an aborted transaction no longer holds read_committed readers back, and its records are hidden from them")
    func abortHides() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("txn-abort")
        try await createTopics([topic], partitions: 1)
        let producer = try KafkaProducer(configuration: transactional("abort-\(UUID().uuidString)"))
        try await producer.initTransactions()
        try producer.beginTransaction()
        for i in 0..<20 { _ = try await producer.send(KafkaProducerRecord(topic: topic, value: "aborted-\(i)")) }
        try await producer.flush(timeout: .seconds(30))
        try await producer.abortTransaction()
        try await producer.withTransaction {
            for i in 0..<20 { _ = try await producer.send(KafkaProducerRecord(topic: topic, value: "committed-\(i)")) }
        }
        await producer.shutdown()

        let seen = values(try PlainConsumer.readToEnd(topic: topic, bootstrapServers: servers, isolation: .readCommitted))
        // The abort ended the transaction: the reader got past it to the committed records.
        #expect(seen.filter { $0.hasPrefix("committed-") }.count == 20)
        withKnownIssue("Tansu 0.6.0 lists no aborted transactions in its fetch answers, so read_committed readers get aborted records") {
            #expect(seen.filter { $0.hasPrefix("aborted-") }.isEmpty, "aborted records seen: \(seen.filter { $0.hasPrefix("aborted-") }.count)")
        }
    }

    @Test("a second producer with the same transactional.id fences the first: its commit is fatal, says so, and writes nothing")
    func fencing() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("txn-fenced")
        try await createTopics([topic], partitions: 1)
        let id = "fenced-\(UUID().uuidString)"
        let reports = ReportLog()
        let first = try KafkaProducer(configuration: transactional(id, holdRecords: true)) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }
        try await first.initTransactions()
        try first.beginTransaction()
        for i in 0..<10 { _ = try await first.send(KafkaProducerRecord(topic: topic, value: "zombie-\(i)")) }
        let second = try KafkaProducer(configuration: transactional(id))
        try await second.initTransactions()

        // The commit sends the records: the broker refuses them, the producer is fenced.
        let commit = await #expect(throws: KafkaError.self) { try await first.commitTransaction() }
        #expect(commit?.isFatal == true, "\(String(describing: commit))")
        #expect(commit?.isFenced == true)
        #expect(commit?.message.contains("fenced") == true)
        #expect(first.transactionState == .fatal)
        let abort = await #expect(throws: KafkaError.self) { try await first.abortTransaction() }
        #expect(abort?.isFatal == true)
        let send = try #require(throws: KafkaError.self) { try first.trySend(KafkaProducerRecord(topic: topic, value: "late")) }
        #expect(send.isFatal)
        await first.shutdown()
        #expect(reports.count == 10, "every record of the fenced producer has its report")
        #expect(reports.all.allSatisfy { !$0.isDelivered })

        try await second.withTransaction { _ = try await second.sendAndWait(KafkaProducerRecord(topic: topic, value: "successor")) }
        await second.shutdown()
        let log = values(try PlainConsumer.readToEnd(topic: topic, bootstrapServers: servers, isolation: .readUncommitted))
        #expect(log == ["successor"], "the fenced producer wrote nothing")
    }

    // MARK: Consume-transform-produce

    /// One instance of a consume-transform-produce service: reads `input` in `group`, writes
    /// `out-VALUE` to `output` for each record, in transactions of at most `chunk` records that
    /// also carry the input offsets.
    struct Instance {
        let consumer: KafkaConsumer
        let producer: KafkaProducer
        let input: String
        let output: String

        /// Processes until `transactions` have committed (then opens one more, sends its records
        /// and offsets, and returns with it open), or, with `nil`, until the input is read to its end.
        func process(chunk: Int, transactions limit: Int?) async throws -> (committed: Int, leftOpen: Int) {
            var committed = 0
            for await batch in consumer.batches {
                var start = batch.startIndex
                while start < batch.endIndex {
                    let records = batch[start..<min(start + chunk, batch.endIndex)]
                    start = records.endIndex
                    let interrupt = limit.map { committed == $0 } ?? false
                    try producer.beginTransaction()
                    for message in records {
                        _ = try await producer.send(KafkaProducerRecord(topic: output, key: message.keyString, value: "out-\(message.valueString ?? "")"))
                    }
                    try await producer.sendOffsetsToTransaction(consumer: consumer, through: records)
                    if interrupt { return (committed, records.count) }
                    try await producer.commitTransaction()
                    committed += 1
                }
                if limit == nil, try await consumer.lag().allSatisfy({ $0.lag == 0 }) { break }
            }
            return (committed, 0)
        }
    }

    func startInstance(input: String, output: String, group: String, transactionalID: String) async throws -> Instance {
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(group: group))
        try consumer.subscribe(topics: [input])
        let producer = try KafkaProducer(configuration: transactional(transactionalID, holdRecords: true))
        try await producer.initTransactions()
        return Instance(consumer: consumer, producer: producer, input: input, output: output)
    }

    func fillInput(_ input: String, count: Int) async throws {
        let producer = try KafkaProducer(configuration: configuration())
        for i in 0..<count { _ = try await producer.send(KafkaProducerRecord(topic: input, key: "k\(i % 17)", value: "\(i)")) }
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.deliveredCount == count)
        await producer.shutdown()
    }

    /// Every input value `0..<count` is on `output`, transformed, exactly once, as a
    /// read_committed reader sees it.
    func expectExactlyOnce(output: String, count: Int) throws {
        let seen = values(try PlainConsumer.readToEnd(topic: output, bootstrapServers: try TestBroker.servers(), isolation: .readCommitted, timeoutSeconds: 60))
        var copies: [String: Int] = [:]
        for value in seen { copies[value, default: 0] += 1 }
        let missing = (0..<count).filter { copies["out-\($0)"] == nil }
        let duplicated = copies.filter { $0.value > 1 }.keys.sorted()
        #expect(missing.isEmpty, "inputs never processed: \(missing.prefix(20))")
        #expect(duplicated.isEmpty, "inputs processed more than once: \(duplicated.prefix(20))")
        #expect(seen.count == count)
    }

    @Test("consume-transform-produce stopped mid-transaction and restarted: every input once on the output")
    func restartExactlyOnce() async throws {
        let input = TestBroker.freshTopic("eos-in"), output = TestBroker.freshTopic("eos-out")
        try await createTopics([input, output], partitions: 3)
        try await fillInput(input, count: 300)
        let group = "eos-\(UUID().uuidString)", id = "eos-\(UUID().uuidString)"
        try await withDeadline(seconds: 180) {
            // The first instance commits 4 transactions, opens a fifth, and is shut down in it.
            let first = try await startInstance(input: input, output: output, group: group, transactionalID: id)
            let (committed, open) = try await first.process(chunk: 20, transactions: 4)
            #expect(committed == 4)
            #expect(open > 0)
            let report = await first.producer.shutdownAndReport()
            #expect(report.abortedTransaction, "shutdown aborted the open transaction")
            #expect(report.purgedMessages == open, "its records were purged, each with a report")
            await first.consumer.close()

            // The second, with the same transactional.id and group, goes on from the committed offsets.
            let second = try await startInstance(input: input, output: output, group: group, transactionalID: id)
            _ = try await second.process(chunk: 20, transactions: nil)
            await second.producer.shutdown()
            await second.consumer.close()
        }
        try expectExactlyOnce(output: output, count: 300)
    }

    @Test("a zombie instance fenced by its successor cannot commit; every input once on the output")
    func zombieFenced() async throws {
        let input = TestBroker.freshTopic("zombie-in"), output = TestBroker.freshTopic("zombie-out")
        try await createTopics([input, output], partitions: 3)
        try await fillInput(input, count: 300)
        let group = "zombie-\(UUID().uuidString)", id = "zombie-\(UUID().uuidString)"
        try await withDeadline(seconds: 180) {
            let zombie = try await startInstance(input: input, output: output, group: group, transactionalID: id)
            _ = try await zombie.process(chunk: 20, transactions: 3)
            // The zombie loses its partitions (its consumer leaves) but keeps its transaction
            // open; the successor starts, and its initTransactions fences the zombie.
            await zombie.consumer.close()
            let successor = try await startInstance(input: input, output: output, group: group, transactionalID: id)

            let commit = await #expect(throws: KafkaError.self) { try await zombie.producer.commitTransaction() }
            #expect(commit?.isFatal == true, "\(String(describing: commit))")
            #expect(commit?.isFenced == true)
            #expect(zombie.producer.transactionState == .fatal)
            await zombie.producer.shutdown()

            _ = try await successor.process(chunk: 20, transactions: nil)
            await successor.producer.shutdown()
            await successor.consumer.close()
        }
        try expectExactlyOnce(output: output, count: 300)
    }
}
