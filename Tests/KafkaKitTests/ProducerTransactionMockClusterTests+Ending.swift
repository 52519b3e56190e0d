import CLibrdkafka
import Foundation
import KafkaKitTestSupport
import Logging
import Synchronization
import Testing

@testable import KafkaKit

/// How transactions end — at shutdown while a commit runs or after one timed out, when
/// `withTransaction` runs out of commit attempts, when librdkafka fails a transaction by
/// itself, on cancellation, and when a producer is dropped — on the mock cluster. Each is the
/// regression test of a bug: the transaction was left open (no EndTxn sent), or an error said
/// the wrong thing to do.
extension ProducerTransactionMockClusterTests {
    /// The EndTxn requests the cluster received since `startRequestTracking()`.
    func endTxnRequests(_ cluster: MockCluster) -> Int {
        cluster.requests().filter { $0.apiKey == MockCluster.ApiKey.endTxn }.count
    }

    @Test("shutdown while a commit runs waits for it: a commit that succeeds is not purged from under it")
    func shutdownWaitsForRunningCommit() async throws {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic("wait-commit", partitions: 1)
        cluster.setLeader(topic: "wait-commit", partition: 0, broker: 2)
        let reports = ReportLog()
        let producer = try KafkaProducer(configuration: transactional(cluster, coordinator: 1)) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }
        try await producer.initTransactions()
        try producer.beginTransaction()
        var ids = [try await producer.send(KafkaProducerRecord(topic: "wait-commit", value: "first"))]
        try await producer.flush(timeout: .seconds(10))
        cluster.setBrokerDown(2)
        for i in 0..<20 { ids.append(try await producer.send(KafkaProducerRecord(topic: "wait-commit", value: "\(i)"))) }
        cluster.startRequestTracking()
        let commit = Task { try await producer.commitTransaction(timeout: .seconds(30)) }
        try await waitFor(.committing, producer)
        let shutdown = Task { await producer.shutdownAndReport(timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(300))  // not needed for correctness: lets shutdown begin
        cluster.setBrokerUp(2)
        let report = await shutdown.value
        try await commit.value  // the commit was not broken by shutdown's flush and purge
        #expect(report.transactionError == nil, "\(String(describing: report.transactionError))")
        #expect(report.purgedMessages == 0)
        #expect(!report.abortedTransaction)
        #expect(endTxnRequests(cluster) >= 1)
        expectOneReportEach(ids, reports.all)
        #expect(reports.all.allSatisfy { $0.isDelivered })
    }

    @Test("shutdown while a commit runs that then requires an abort: shutdown aborts it (EndTxn sent)")
    func shutdownAbortsFailedRunningCommit() async throws {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic("fail-commit", partitions: 1)
        cluster.setLeader(topic: "fail-commit", partition: 0, broker: 2)
        let reports = ReportLog()
        var configuration = transactional(cluster, coordinator: 1)
        configuration["message.timeout.ms"] = "1500"  // the records fail while their leader is down
        let producer = try KafkaProducer(configuration: configuration) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }
        try await producer.initTransactions()
        try producer.beginTransaction()
        var ids = [try await producer.send(KafkaProducerRecord(topic: "fail-commit", value: "first"))]
        try await producer.flush(timeout: .seconds(10))
        cluster.setBrokerDown(2)
        for i in 0..<20 { ids.append(try await producer.send(KafkaProducerRecord(topic: "fail-commit", value: "\(i)"))) }
        cluster.startRequestTracking()
        let commit = Task { () -> KafkaError? in
            do { try await producer.commitTransaction(timeout: .seconds(30)); return nil } catch let error as KafkaError { return error }
        }
        try await waitFor(.committing, producer)
        let report = await producer.shutdownAndReport(timeout: .seconds(30))
        let commitError = try #require(await commit.value, "the commit cannot succeed: its records timed out")
        #expect(commitError.requiresAbort, "\(commitError)")
        #expect(report.abortedTransaction, "\(String(describing: report.transactionError))")
        #expect(report.transactionError == nil)
        #expect(endTxnRequests(cluster) >= 1, "the abort reached the coordinator")
        #expect(producer.transactionState == .shutDown)
        expectOneReportEach(ids, reports.all)
        #expect(reports.all.filter(\.isDelivered).count == 1)
    }

    @Test("a commit that timed out does not go on by itself; shutdown finishes it (EndTxn sent) and says so")
    func shutdownResumesTimedOutCommit() async throws {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic("resume", partitions: 1)
        cluster.setLeader(topic: "resume", partition: 0, broker: 2)
        let reports = ReportLog()
        let producer = try KafkaProducer(configuration: transactional(cluster, coordinator: 1)) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }
        try await producer.initTransactions()
        try producer.beginTransaction()
        var ids = [try await producer.send(KafkaProducerRecord(topic: "resume", value: "first"))]
        try await producer.flush(timeout: .seconds(10))
        cluster.setBrokerDown(2)
        for i in 0..<20 { ids.append(try await producer.send(KafkaProducerRecord(topic: "resume", value: "\(i)"))) }
        cluster.startRequestTracking()
        let error = await #expect(throws: KafkaError.self) { try await producer.commitTransaction(timeout: .seconds(1)) }
        #expect(error?.isRetriable == true)
        #expect(error?.message.contains("background") == false, "\(String(describing: error))")
        #expect(error?.message.contains("call commitTransaction() again") == true)
        #expect(producer.transactionState == .committing)
        cluster.setBrokerUp(2)
        let report = await producer.shutdownAndReport(timeout: .seconds(30))
        #expect(report.committedTransaction, "\(String(describing: report.transactionError))")
        #expect(!report.abortedTransaction)
        #expect(report.transactionError == nil)
        #expect(report.purgedMessages == 0)
        #expect(endTxnRequests(cluster) >= 1, "the resumed commit reached the coordinator")
        expectOneReportEach(ids, reports.all)
        #expect(reports.all.allSatisfy { $0.isDelivered })
    }

    @Test("withTransaction out of commit attempts: not retriable, says to call commitTransaction(), which finishes it")
    func withTransactionOutOfAttempts() async throws {
        let cluster = MockCluster(brokers: 3)
        cluster.createTopic("attempts", partitions: 1)
        cluster.setLeader(topic: "attempts", partition: 0, broker: 2)
        let producer = try KafkaProducer(configuration: transactional(cluster, coordinator: 1))
        try await producer.initTransactions()
        cluster.setBrokerDown(2)
        let error = await #expect(throws: KafkaError.self) {
            try await producer.withTransaction(timeout: .seconds(1)) {
                _ = try await producer.send(KafkaProducerRecord(topic: "attempts", value: "x"))
            }
        }
        #expect(error?.isRetriable == false, "calling withTransaction again cannot work: \(String(describing: error))")
        #expect(error?.requiresAbort == false)
        #expect(error?.message.contains("call commitTransaction()") == true, "\(String(describing: error))")
        #expect(producer.transactionState == .committing)
        cluster.setBrokerUp(2)
        try await producer.commitTransaction()
        #expect(producer.transactionState == .ready)
        #expect(producer.deliveredCount == 1)
        try await producer.withTransaction { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "attempts", value: "y")) }
        await producer.shutdown()
    }

    @Test("librdkafka failed the transaction (a record refused): the next send says to abort; state, begin and commit agree")
    func librdkafkaFailedTheTransaction() async throws {
        let cluster = MockCluster()
        cluster.createTopic("failed", partitions: 1)
        let producer = try KafkaProducer(configuration: transactional(cluster))
        try await producer.initTransactions()
        try producer.beginTransaction()
        cluster.pushRequestErrors(apiKey: MockCluster.ApiKey.addPartitionsToTxn, [RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue])
        await #expect(throws: KafkaError.self, "the record is refused") {
            try await producer.sendAndWait(KafkaProducerRecord(topic: "failed", value: "v"))
        }
        let send = try #require(throws: KafkaError.self) { try producer.trySend(KafkaProducerRecord(topic: "failed", value: "w")) }
        #expect(send.requiresAbort, "\(send)")
        #expect(send.message.contains("the transaction failed and must be aborted: call abortTransaction()"), "\(send.message)")
        #expect(!send.message.contains("being committed or aborted"))
        #expect(producer.transactionState == .needsAbort)
        let begin = try #require(throws: KafkaError.self) { try producer.beginTransaction() }
        #expect(begin.requiresAbort)
        let commit = await #expect(throws: KafkaError.self) { try await producer.commitTransaction() }
        #expect(commit?.requiresAbort == true)
        try await producer.abortTransaction()
        #expect(producer.transactionState == .ready)
        try await producer.withTransaction { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "failed", value: "ok")) }
        await producer.shutdown()
    }

    @Test("withTransaction in a cancelled task: begins nothing; cancelled while the body ran: aborts instead of committing")
    func withTransactionCancelled() async throws {
        let cluster = MockCluster()
        cluster.createTopic("cancelled", partitions: 1)
        let reports = ReportLog()
        let producer = try KafkaProducer(configuration: transactional(cluster)) { event in
            if case .deliveryReports(let batch) = event { reports.add(batch) }
        }
        try await producer.initTransactions()
        let ran = Atomic<Bool>(false)
        let before = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await producer.withTransaction { ran.store(true, ordering: .relaxed) }
        }
        await #expect(throws: CancellationError.self) { try await before.value }
        let bodyRan = ran.load(ordering: .relaxed)
        #expect(!bodyRan, "the body of a cancelled task does not run")
        #expect(producer.transactionState == .ready, "no transaction was begun")

        let ids = Mutex<[KafkaProducerMessageID]>([])
        let during = Task {
            try await producer.withTransaction {
                for i in 0..<10 {
                    let id = try await producer.send(KafkaProducerRecord(topic: "cancelled", value: "\(i)"))
                    ids.withLock { $0.append(id) }
                }
                withUnsafeCurrentTask { $0?.cancel() }  // the body returns normally, cancelled
            }
        }
        await #expect(throws: CancellationError.self) { try await during.value }
        #expect(producer.transactionState == .ready, "aborted, not committing")
        try await producer.withTransaction { _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "cancelled", value: "ok")) }
        await producer.shutdown()
        let sent = ids.withLock { $0 }
        let theirs = reports.all.filter { sent.contains($0.id) }
        expectOneReportEach(sent, theirs)
    }

    @Test("a transactional producer dropped with a transaction open: the abort is sent and confirmed, and the log says so")
    func droppedAbortConfirmed() async throws {
        let cluster = MockCluster(brokers: 2)
        cluster.createTopic("dropped-abort", partitions: 1)
        let logs = CapturedLogs()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(logs) }
        do {
            let producer = try KafkaProducer(configuration: transactional(cluster, coordinator: 1), logger: logger)
            try await producer.initTransactions()
            try producer.beginTransaction()
            for i in 0..<10 { _ = try await producer.send(KafkaProducerRecord(topic: "dropped-abort", value: "\(i)")) }
            try await producer.flush(timeout: .seconds(10))
            cluster.startRequestTracking()
        }
        try await withDeadline(seconds: 30) {
            while !logs.entries.contains(where: { $0.message.contains("transaction at shutdown") }) {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let said = logs.entries.filter { $0.message.contains("transaction at shutdown") }
        #expect(said.map(\.message) == ["Kafka producer aborted the open transaction at shutdown"], "\(logs.lines)")
        #expect(said.allSatisfy { $0.level == .info })
        #expect(endTxnRequests(cluster) >= 1)
    }
}
