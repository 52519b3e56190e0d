import CLibrdkafka
import Foundation
import KafkaKitTestSupport
import Logging
import Testing

@testable import KafkaKit

/// Transactions against real librdkafka on its mock cluster: misuse, concurrent calls,
/// shutdown with a transaction open, and injected faults (coordinator moved, brokers down
/// during a commit, errors that require an abort, a fenced producer).
///
/// What the mock cluster of librdkafka 2.14 cannot show, and where it is shown instead: it
/// writes no transaction markers and applies no last stable offset (a `read_committed` reader
/// sees every record, committed, aborted or open), its TxnOffsetCommit stores no offsets, and a
/// second producer with the same `transactional.id` does not fence the first. Visibility,
/// exactly-once consume-transform-produce across a restart and real fencing are tested on
/// the local broker (`TransactionIntegrationTests`); here fencing is the broker's answer to a
/// fenced producer, injected.
///
/// Takes mock brokers down: run with the suites of `BROKER_DOWN_SUITES` (see the Makefile).
@Suite("Producer transactions on the mock cluster")
struct ProducerTransactionMockClusterTests {
    /// A transactional producer's configuration; the coordinator of its `transactional.id`
    /// is moved to `coordinator` first, so that a test knows which broker it is.
    func transactional(_ cluster: MockCluster, id: String = "txn-\(UUID().uuidString)", coordinator: Int32 = 1) -> KafkaConfiguration {
        cluster.setTransactionCoordinator(transactionalID: id, broker: coordinator)
        var configuration = cluster.configuration()
        configuration["transactional.id"] = id
        configuration.linger = .milliseconds(1)
        return configuration
    }

    /// A mock cluster of `brokers` with `topic`; partition `p` is led by broker `leaders[p]`
    /// where given.
    func mockCluster(brokers: Int32 = 1, topic: String, partitions: Int32 = 1, leaders: [Int32] = []) -> MockCluster {
        let cluster = MockCluster(brokers: brokers)
        cluster.createTopic(topic, partitions: partitions)
        for (partition, broker) in leaders.enumerated() { cluster.setLeader(topic: topic, partition: Int32(partition), broker: broker) }
        return cluster
    }

    /// How far ``transactionalProducer(_:id:coordinator:until:reports:logs:configure:)`` takes
    /// a new producer.
    enum Stage { case created, initialized, inTransaction }

    /// A transactional producer on `cluster` (see ``transactional(_:id:coordinator:)``), taken
    /// to `stage`. With `reports` it is made with an event handler that gathers its delivery
    /// reports there (else without one); with `logs` it logs there.
    func transactionalProducer(
        _ cluster: MockCluster, id: String = "txn-\(UUID().uuidString)", coordinator: Int32 = 1, until stage: Stage = .inTransaction,
        reports: ReportLog? = nil, logs: CapturedLogs? = nil, configure: (inout KafkaConfiguration) -> Void = { _ in }
    ) async throws -> KafkaProducer {
        var configuration = transactional(cluster, id: id, coordinator: coordinator)
        configure(&configuration)
        let logger = logs.map { logs in Logger(label: "test") { _ in CapturingLogHandler(logs) } } ?? KafkaProducer.defaultLogger
        let producer = if let reports {
            try KafkaProducer(configuration: configuration, logger: logger) { event in
                if case .deliveryReports(let batch) = event { reports.add(batch) }
            }
        } else {
            try KafkaProducer(configuration: configuration, logger: logger)
        }
        if stage != .created { try await producer.initTransactions() }
        if stage == .inTransaction { try producer.beginTransaction() }
        return producer
    }

    /// Sends `record(i)` for each `i` in `range` (fire-and-forget) and returns their IDs.
    @discardableResult
    func send(_ producer: KafkaProducer, _ range: Range<Int>, _ record: (Int) -> KafkaProducerRecord) async throws -> [KafkaProducerMessageID] {
        var ids: [KafkaProducerMessageID] = []
        for i in range { ids.append(try await producer.send(record(i))) }
        return ids
    }

    /// Sends the values "\(i)" for each `i` in `range` to `topic` and returns their IDs.
    @discardableResult
    func send(_ producer: KafkaProducer, _ range: Range<Int>, to topic: String) async throws -> [KafkaProducerMessageID] {
        try await send(producer, range) { KafkaProducerRecord(topic: topic, value: "\($0)") }
    }

    /// Expects `call` to throw a ``KafkaError`` — with `code`, where given — and returns it.
    @discardableResult
    func expectKafkaError(
        _ code: KafkaError.Code? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ call: () async throws -> Void
    ) async -> KafkaError? {
        let error = await #expect(throws: KafkaError.self, sourceLocation: sourceLocation) { try await call() }
        if let code { #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation) }
        return error
    }

    /// A transaction that must be aborted: a send is refused saying so (first, as the call
    /// that may find out), and the state and begin agree. Returns the refused send's error.
    @discardableResult
    func expectOnlyAbortAllowed(_ producer: KafkaProducer, topic: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> KafkaError {
        let send = try #require(throws: KafkaError.self, sourceLocation: sourceLocation) {
            try producer.trySend(KafkaProducerRecord(topic: topic, value: "refused"))
        }
        #expect(send.requiresAbort, "\(send)", sourceLocation: sourceLocation)
        #expect(producer.transactionState == .needsAbort, sourceLocation: sourceLocation)
        let begin = try #require(throws: KafkaError.self, sourceLocation: sourceLocation) { try producer.beginTransaction() }
        #expect(begin.requiresAbort, "\(begin)", sourceLocation: sourceLocation)
        #expect(begin.message.contains("call abortTransaction()"), "\(begin.message)", sourceLocation: sourceLocation)
        return send
    }

    /// The open transaction aborts, and the producer goes on (see ``expectNextTransactionCommits(_:topic:)``).
    func expectAbortThenNextCommits(_ producer: KafkaProducer, topic: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await producer.abortTransaction()
        #expect(producer.transactionState == .ready, sourceLocation: sourceLocation)
        try await expectNextTransactionCommits(producer, topic: topic)
    }

    /// The producer goes on: a transaction with one record awaited commits; then it shuts down.
    func expectNextTransactionCommits(_ producer: KafkaProducer, topic: String) async throws {
        try await producer.withTransaction { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, value: "next")) }
        await producer.shutdown()
    }

    /// Waits until `producer` reaches `state` (a concurrent call has started), for at most 10 s.
    func waitFor(_ state: KafkaTransactionState, _ producer: KafkaProducer) async throws {
        for _ in 0..<10_000 {
            if producer.transactionState == state { return }
            try await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("the producer never reached \(state); it is \(producer.transactionState)")
    }

    /// Every ID has exactly one report: no message without an outcome, none with two.
    func expectOneReportEach(_ ids: [KafkaProducerMessageID], _ reports: [KafkaDeliveryReport], sourceLocation: SourceLocation = #_sourceLocation) {
        var count: [KafkaProducerMessageID: Int] = [:]
        for report in reports { count[report.id, default: 0] += 1 }
        #expect(ids.filter { count[$0] == nil }.isEmpty, "messages without a report", sourceLocation: sourceLocation)
        #expect(count.values.allSatisfy { $0 == 1 }, "messages with more than one report", sourceLocation: sourceLocation)
        #expect(Set(count.keys) == Set(ids), "reports of messages never sent", sourceLocation: sourceLocation)
    }

    @Test("a committed transaction: every record delivered once and in the log; begin, commit, begin again")
    func commit() async throws {
        let cluster = mockCluster(brokers: 3, topic: "commit", partitions: 3)
        let reports = ReportLog()
        let producer = try await transactionalProducer(cluster, until: .created, reports: reports)
        #expect(producer.transactionState == .uninitialized)
        try await producer.initTransactions()
        #expect(producer.transactionState == .ready)
        var ids: [KafkaProducerMessageID] = []
        for round in 0..<3 {
            try producer.beginTransaction()
            #expect(producer.transactionState == .inTransaction)
            ids += try await send(producer, 0..<100) { KafkaProducerRecord(topic: "commit", key: "k\($0)", value: "\(round)-\($0)") }
            try await producer.commitTransaction()
            #expect(producer.transactionState == .ready)
            // The commit flushed the transaction: every report is in.
            #expect(reports.count == ids.count)
        }
        expectOneReportEach(ids, reports.all)
        #expect(reports.all.allSatisfy { $0.isDelivered })
        let log = try PlainConsumer.read(topic: "commit", count: 300, bootstrapServers: cluster.bootstrapServers)
        #expect(Set(log.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }).count == 300)
        #expect(await producer.shutdownAndReport() == KafkaProducerShutdownReport())
    }

    @Test("misuse on a transactional producer is a clear error from KafkaKit, before librdkafka")
    func misuse() async throws {
        let cluster = mockCluster(topic: "misuse")
        let producer = try await transactionalProducer(cluster, until: .created)
        let record = KafkaProducerRecord(topic: "misuse", value: "x")

        let early = try #require(throws: KafkaError.self) { try producer.trySend(record) }
        #expect(early.code == .invalidState)
        #expect(early.topic == "misuse")
        #expect(early.message.contains("sends only inside a transaction"))
        #expect(producer.outputQueueLength == 0, "nothing was queued")
        await expectKafkaError { _ = try await producer.sendAndWait(record) }
        await expectKafkaError { try producer.beginTransaction() }
        await expectKafkaError { try await producer.commitTransaction() }

        try await producer.initTransactions()
        await expectKafkaError(.invalidState) { try await producer.initTransactions() }
        let send = try #require(throws: KafkaError.self) { _ = try producer.trySend(record) { _ in } }
        #expect(send.message.contains("call beginTransaction() first"))
        let commit = await expectKafkaError { try await producer.commitTransaction() }
        #expect(commit?.message == "commitTransaction(): no transaction is open: call beginTransaction() first")
        await expectKafkaError(.invalidState) { try await producer.abortTransaction() }

        try producer.beginTransaction()
        let begin = try #require(throws: KafkaError.self) { try producer.beginTransaction() }
        #expect(begin.message.contains("a transaction is already open"))
        _ = try producer.trySend(record)
        _ = try await producer.sendAndWait(record)
        try await producer.commitTransaction()
        #expect(producer.deliveredCount == 2)

        await producer.shutdown()
        #expect(producer.transactionState == .shutDown)
        await expectKafkaError { try producer.beginTransaction() }
        await expectKafkaError(.destroyed) { try await producer.commitTransaction() }
        #expect((try? producer.trySend(record)) == nil)
    }

    @Test("a producer without transactional.id refuses transaction calls and sends as before")
    func notTransactional() async throws {
        let cluster = mockCluster(topic: "plain")
        let producer = try KafkaProducer(configuration: cluster.configuration())
        #expect(producer.transactionState == .notTransactional)
        let initError = await expectKafkaError(.notConfigured) { try await producer.initTransactions() }
        #expect(initError?.property == "transactional.id")
        await expectKafkaError { try producer.beginTransaction() }
        await expectKafkaError { try await producer.commitTransaction() }
        await expectKafkaError { try await producer.abortTransaction() }
        let report = try await producer.sendAndWait(KafkaProducerRecord(topic: "plain", value: "v"))
        #expect(report.isDelivered)
        #expect(await producer.shutdownAndReport() == KafkaProducerShutdownReport())
    }

    @Test("two concurrent commits: one commits, the other is told a commit is running")
    func concurrentCommits() async throws {
        let cluster = mockCluster(brokers: 3, topic: "concurrent")
        let producer = try await transactionalProducer(cluster, coordinator: 1)
        try await send(producer, 0..<10, to: "concurrent")
        // The coordinator answers the commit's EndTxn after a second: the second call comes
        // while the first runs.
        cluster.pushBrokerRequestErrors(broker: 1, apiKey: MockCluster.ApiKey.endTxn, code: 0, rttMilliseconds: 1000)
        let first = Task { try await producer.commitTransaction() }
        try await waitFor(.committing, producer)
        let second = await expectKafkaError(.conflict) { try await producer.commitTransaction() }
        #expect(second?.message.contains("commitTransaction() is still running") == true)
        await expectKafkaError(.conflict) { try await producer.abortTransaction() }
        let send = try #require(throws: KafkaError.self) { try producer.trySend(KafkaProducerRecord(topic: "concurrent", value: "late")) }
        #expect(send.message.contains("being committed"))
        try await first.value
        #expect(producer.transactionState == .ready)
        #expect(producer.deliveredCount == 10)
        await producer.shutdown()
    }

    @Test("shutdown with a transaction open aborts it, says so, logs it at info, and every message gets one report")
    func shutdownAborts() async throws {
        // The records' leader is down: they stay queued until the abort purges them. The
        // coordinator (broker 1) is up.
        let cluster = mockCluster(brokers: 3, topic: "open", partitions: 2, leaders: [2, 3])
        let logs = CapturedLogs()
        let reports = ReportLog()
        let producer = try await transactionalProducer(cluster, coordinator: 1, reports: reports, logs: logs)
        let record = { (i: Int) in KafkaProducerRecord(topic: "open", partition: Int32(i % 2), value: "\(i)") }
        var ids = try await send(producer, 0..<50, record)
        try await producer.flush(timeout: .seconds(10))  // the first 50 are delivered, yet uncommitted
        cluster.setBrokerDown(2)
        cluster.setBrokerDown(3)
        ids += try await send(producer, 50..<200, record)

        let report = await producer.shutdownAndReport(timeout: .seconds(20))
        #expect(report.abortedTransaction)
        #expect(report.transactionError == nil)
        #expect(report.purgedMessages == 150)
        #expect(producer.transactionState == .shutDown)
        expectOneReportEach(ids, reports.all)
        #expect(reports.all.filter(\.isDelivered).count == 50)
        #expect(reports.all.filter { $0.errorCode == .purgedFromQueue || $0.errorCode == .purgedInFlight }.count == 150)
        let lines = logs.entries.filter { $0.message == "Kafka producer aborted the open transaction at shutdown" }
        #expect(lines.count == 1)
        #expect(lines.first?.level == .info)
        #expect(logs.entries.allSatisfy { $0.level <= .info }, "a library logs at info or below")
    }

    @Test("run() ending with a transaction open aborts it and logs that it did")
    func runAborts() async throws {
        let cluster = mockCluster(topic: "run")
        let logs = CapturedLogs()
        let reports = ReportLog()
        let producer = try await transactionalProducer(cluster, reports: reports, logs: logs)
        let ids = try await send(producer, 0..<20, to: "run")
        let running = Task { try await producer.run() }
        running.cancel()  // run() waits for graceful shutdown or cancellation
        try await withDeadline(seconds: 30) { try await running.value }
        #expect(producer.transactionState == .shutDown)
        #expect(logs.lines.contains("info Kafka producer aborted the open transaction at shutdown"))
        expectOneReportEach(ids, reports.all)
    }

    @Test("a transactional producer dropped with a transaction open: every message still gets one report")
    func droppedWithTransactionOpen() async throws {
        let cluster = mockCluster(brokers: 2, topic: "dropped", leaders: [2])
        let logs = CapturedLogs()
        let reports = ReportLog()
        var ids: [KafkaProducerMessageID] = []
        do {
            let producer = try await transactionalProducer(cluster, coordinator: 1, reports: reports, logs: logs)
            ids += try await send(producer, 0..<10, to: "dropped")
            try await producer.flush(timeout: .seconds(10))
            cluster.setBrokerDown(2)
            ids += try await send(producer, 10..<40, to: "dropped")
        }
        try await withDeadline(seconds: 30) {
            while reports.count < 40 { try await Task.sleep(for: .milliseconds(10)) }
        }
        expectOneReportEach(ids, reports.all)
        #expect(reports.all.filter(\.isDelivered).count == 10)
        // Dropped, it stops without waiting (a zero timeout): the abort may or may not be
        // confirmed in that time, and the log says which, at info.
        let said = logs.entries.filter { $0.message.contains("transaction at shutdown") }
        #expect(said.count == 1, "\(logs.lines)")
        #expect(said.allSatisfy { $0.level == .info })
    }

    @Test("a body that throws aborts the transaction and rethrows; a body that returns commits")
    func withTransaction() async throws {
        struct BodyFailed: Error {}
        let cluster = mockCluster(topic: "scoped")
        let reports = ReportLog()
        let producer = try await transactionalProducer(cluster, until: .initialized, reports: reports)
        var ids: [KafkaProducerMessageID] = []
        await #expect(throws: BodyFailed.self) {
            try await producer.withTransaction {
                ids += try await send(producer, 0..<30) { KafkaProducerRecord(topic: "scoped", value: "aborted-\($0)") }
                throw BodyFailed()
            }
        }
        #expect(producer.transactionState == .ready)
        let value = try await producer.withTransaction {
            ids += try await send(producer, 0..<30) { KafkaProducerRecord(topic: "scoped", value: "committed-\($0)") }
            return 42
        }
        #expect(value == 42)
        #expect(producer.transactionState == .ready)
        // Misuse inside: a nested transaction is refused, and the outer one aborted.
        await expectKafkaError {
            _ = try await producer.withTransaction { try await producer.withTransaction { 1 } }
        }
        #expect(producer.transactionState == .ready)
        await producer.shutdown()
        expectOneReportEach(ids, reports.all)
        let committed = reports.all.filter { $0.isDelivered }.count
        #expect(committed >= 30, "the committed 30 are delivered (aborted ones may be too, before the abort)")
    }

    @Test("the coordinator moved mid-transaction: the commit follows it to the new broker")
    func coordinatorMoved() async throws {
        let cluster = mockCluster(brokers: 3, topic: "moved", partitions: 3)
        let id = "moved-\(UUID().uuidString)"
        let reports = ReportLog()
        let producer = try await transactionalProducer(cluster, id: id, coordinator: 1, reports: reports)
        var ids = try await send(producer, 0..<100) { KafkaProducerRecord(topic: "moved", value: "a\($0)") }
        try await producer.flush(timeout: .seconds(10))
        cluster.startRequestTracking()
        cluster.setTransactionCoordinator(transactionalID: id, broker: 2)
        ids += try await send(producer, 0..<100) { KafkaProducerRecord(topic: "moved", value: "b\($0)") }
        try await producer.commitTransaction()
        #expect(producer.transactionState == .ready)
        let endTxn = cluster.requests().filter { $0.apiKey == MockCluster.ApiKey.endTxn }
        #expect(endTxn.last?.broker == 2, "the commit reached the new coordinator (EndTxn requests: \(endTxn))")
        expectOneReportEach(ids, reports.all)
        #expect(reports.all.allSatisfy { $0.isDelivered })
        // The next transaction works with the new coordinator.
        try await expectNextTransactionCommits(producer, topic: "moved")
    }

    @Test("the coordinator down during a commit: the commit waits and completes once it is back")
    func coordinatorDownDuringCommit() async throws {
        let cluster = mockCluster(brokers: 3, topic: "down", leaders: [2])
        let producer = try await transactionalProducer(cluster, coordinator: 1)
        try await send(producer, 0..<50, to: "down")
        cluster.setBrokerDown(1)
        let commit = Task { try await producer.commitTransaction(timeout: .seconds(30)) }
        try await waitFor(.committing, producer)
        try await Task.sleep(for: .milliseconds(500))
        cluster.setBrokerUp(1)
        try await withDeadline(seconds: 40) { try await commit.value }
        #expect(producer.transactionState == .ready)
        #expect(producer.deliveredCount == 50)
        await producer.shutdown()
    }

    @Test("brokers down past the commit's timeout: a retriable error, and the retried commit completes")
    func commitTimesOutThenRetried() async throws {
        let cluster = mockCluster(brokers: 3, topic: "retry", leaders: [2])
        let producer = try await transactionalProducer(cluster, coordinator: 1)
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "retry", value: "first"))
        cluster.setBrokerDown(2)
        try await send(producer, 0..<20, to: "retry")
        let error = await expectKafkaError { try await producer.commitTransaction(timeout: .seconds(1)) }
        #expect(error?.isRetriable == true, "\(String(describing: error))")
        #expect(error?.requiresAbort == false)
        #expect(producer.transactionState == .committing)
        // Only another commit may follow a commit that began.
        await expectKafkaError(.invalidState) { try await producer.abortTransaction() }
        cluster.setBrokerUp(2)
        try await producer.commitTransaction()
        #expect(producer.transactionState == .ready)
        #expect(producer.deliveredCount == 21)
        await producer.shutdown()
    }

    @Test("EndTxn failing retriably inside librdkafka is retried there: the commit succeeds")
    func endTxnErrorsRetried() async throws {
        let cluster = mockCluster(brokers: 3, topic: "endtxn")
        let producer = try await transactionalProducer(cluster, coordinator: 1, until: .initialized)
        try await producer.withTransaction {
            _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "endtxn", value: "v"))
            cluster.pushRequestErrors(apiKey: MockCluster.ApiKey.endTxn, [
                RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue,
                RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS.rawValue,
            ])
        }
        #expect(producer.transactionState == .ready)
        await producer.shutdown()
    }

    @Test("an error that requires abort: commit says so, only abort is allowed, then transactions go on")
    func requiresAbort() async throws {
        let cluster = mockCluster(topic: "abortable")
        let producer = try await transactionalProducer(cluster)
        cluster.pushRequestErrors(apiKey: MockCluster.ApiKey.addPartitionsToTxn, [RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue])
        _ = try? await producer.sendAndWait(KafkaProducerRecord(topic: "abortable", value: "v"))
        let commit = await expectKafkaError { try await producer.commitTransaction() }
        #expect(commit?.requiresAbort == true, "\(String(describing: commit))")
        #expect(commit?.isFatal == false)
        try expectOnlyAbortAllowed(producer, topic: "abortable")
        try await expectAbortThenNextCommits(producer, topic: "abortable")
    }

    @Test("withTransaction: a commit that requires abort is aborted and thrown; the producer goes on")
    func withTransactionAbortsOnCommitError() async throws {
        let cluster = mockCluster(topic: "scoped-abort")
        let reports = ReportLog()
        let producer = try await transactionalProducer(cluster, until: .initialized, reports: reports)
        var ids: [KafkaProducerMessageID] = []
        let error = await expectKafkaError {
            try await producer.withTransaction {
                cluster.pushRequestErrors(apiKey: MockCluster.ApiKey.addPartitionsToTxn, [RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue])
                ids += try await send(producer, 0..<10, to: "scoped-abort")
            }
        }
        #expect(error?.requiresAbort == true, "\(String(describing: error))")
        #expect(producer.transactionState == .ready, "withTransaction aborted it")
        try await producer.withTransaction { ids.append(try await producer.send(KafkaProducerRecord(topic: "scoped-abort", value: "ok"))) }
        await producer.shutdown()
        expectOneReportEach(ids, reports.all)
    }

    @Test("a fenced producer: its next call is fatal, says it was fenced, and so is everything after")
    func fenced() async throws {
        let cluster = mockCluster(brokers: 3, topic: "fenced")
        let id = "fenced-\(UUID().uuidString)"
        let first = try await transactionalProducer(cluster, id: id, coordinator: 1)
        _ = try await first.sendAndWait(KafkaProducerRecord(topic: "fenced", value: "zombie"))
        // A second producer with the same transactional.id takes over; the coordinator then
        // answers the first one's commit as a broker does (the mock does not fence by itself).
        let second = try await transactionalProducer(cluster, id: id, coordinator: 1, until: .initialized)
        cluster.pushBrokerRequestErrors(broker: 1, apiKey: MockCluster.ApiKey.endTxn, code: RD_KAFKA_RESP_ERR_PRODUCER_FENCED.rawValue, rttMilliseconds: 0)
        let commit = await expectKafkaError { try await first.commitTransaction() }
        #expect(commit?.isFatal == true, "\(String(describing: commit))")
        #expect(commit?.isFenced == true)
        #expect(commit?.message.contains("fenced") == true)
        #expect(first.transactionState == .fatal)
        for call in [{ try await first.abortTransaction() }, { try first.beginTransaction() }, { try await first.initTransactions() }] as [() async throws -> Void] {
            let error = await expectKafkaError { try await call() }
            #expect(error?.isFatal == true)
            #expect(error?.isFenced == true)
        }
        let send = try #require(throws: KafkaError.self) { try first.trySend(KafkaProducerRecord(topic: "fenced", value: "late")) }
        #expect(send.isFatal)
        let report = await first.shutdownAndReport()
        #expect(!report.abortedTransaction, "a fatal producer aborts nothing")
        // The new producer works.
        try await expectNextTransactionCommits(second, topic: "fenced")
    }

    @Test("sendOffsetsToTransaction refuses a consumer that commits by itself and offsets that are not positions")
    func sendOffsetsMisuse() async throws {
        let cluster = mockCluster(topic: "offsets")
        let producer = try await transactionalProducer(cluster, until: .initialized)
        var consumerConfiguration = cluster.configuration()
        consumerConfiguration["group.id"] = "offsets"
        let autoCommitting = try KafkaConsumer(configuration: consumerConfiguration)
        consumerConfiguration["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumer(configuration: consumerConfiguration)
        let position = [KafkaTopicPartition(topic: "offsets", partition: 0, offset: 5)]
        let outside = await expectKafkaError { try await producer.sendOffsetsToTransaction(consumer: consumer, offsets: position) }
        #expect(outside?.message.contains("no transaction is open") == true)
        try producer.beginTransaction()
        let auto = await expectKafkaError { try await producer.sendOffsetsToTransaction(consumer: autoCommitting, offsets: position) }
        #expect(auto?.property == "enable.auto.commit")
        let logical = [KafkaTopicPartition(topic: "offsets", partition: 0, offset: KafkaOffset.end)]
        let bad = await expectKafkaError(.invalidArgument) { try await producer.sendOffsetsToTransaction(consumer: consumer, offsets: logical) }
        #expect(bad?.message.contains("offset + 1") == true)
        try await producer.sendOffsetsToTransaction(consumer: consumer, offsets: position)
        try await producer.commitTransaction()
        await consumer.close()
        await autoCommitting.close()
        await producer.shutdown()
    }
}
