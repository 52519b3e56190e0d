import CLibrdkafka
import Foundation
import KafkaKitTestSupport
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

    /// A transaction whose commit cannot finish yet: on 3 brokers, `topic`'s leader (broker 2;
    /// the coordinator is broker 1) went down after the first record was delivered, with 20
    /// more queued behind it. Requests are tracked from here on; the IDs are the 21 records'.
    func transactionStuckBehindLeader(
        topic: String, configure: (inout KafkaConfiguration) -> Void = { _ in }
    ) async throws -> (cluster: MockCluster, producer: KafkaProducer, reports: ReportLog, ids: [KafkaProducerMessageID]) {
        let cluster = mockCluster(brokers: 3, topic: topic, leaders: [2])
        let reports = ReportLog()
        let producer = try await transactionalProducer(cluster, coordinator: 1, reports: reports, configure: configure)
        var ids = [try await producer.send(KafkaProducerRecord(topic: topic, value: "first"))]
        try await producer.flush(timeout: .seconds(10))
        cluster.setBrokerDown(2)
        ids += try await send(producer, 0..<20, to: topic)
        cluster.startRequestTracking()
        return (cluster, producer, reports, ids)
    }

    @Test("shutdown while a commit runs waits for it: a commit that succeeds is not purged from under it")
    func shutdownWaitsForRunningCommit() async throws {
        let (cluster, producer, reports, ids) = try await transactionStuckBehindLeader(topic: "wait-commit")
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
        let (cluster, producer, reports, ids) = try await transactionStuckBehindLeader(topic: "fail-commit") {
            $0["message.timeout.ms"] = "1500"  // the records fail while their leader is down
        }
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
        let (cluster, producer, reports, ids) = try await transactionStuckBehindLeader(topic: "resume")
        let error = await expectKafkaError { try await producer.commitTransaction(timeout: .seconds(1)) }
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
        let cluster = mockCluster(brokers: 3, topic: "attempts", leaders: [2])
        let producer = try await transactionalProducer(cluster, coordinator: 1, until: .initialized)
        cluster.setBrokerDown(2)
        let error = await expectKafkaError {
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
        try await expectNextTransactionCommits(producer, topic: "attempts")
    }

    @Test("librdkafka failed the transaction (a record refused): the next send says to abort; state, begin and commit agree")
    func librdkafkaFailedTheTransaction() async throws {
        let cluster = mockCluster(topic: "failed")
        let producer = try await transactionalProducer(cluster)
        cluster.pushRequestErrors(apiKey: MockCluster.ApiKey.addPartitionsToTxn, [RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue])
        await #expect(throws: KafkaError.self, "the record is refused") {
            try await producer.sendAndWait(KafkaProducerRecord(topic: "failed", value: "v"))
        }
        let send = try expectOnlyAbortAllowed(producer, topic: "failed")
        #expect(send.message.contains("the transaction failed and must be aborted: call abortTransaction()"), "\(send.message)")
        #expect(!send.message.contains("being committed or aborted"))
        let commit = await expectKafkaError { try await producer.commitTransaction() }
        #expect(commit?.requiresAbort == true)
        try await expectAbortThenNextCommits(producer, topic: "failed")
    }

    @Test("withTransaction in a cancelled task: begins nothing; cancelled while the body ran: aborts instead of committing")
    func withTransactionCancelled() async throws {
        let cluster = mockCluster(topic: "cancelled")
        let reports = ReportLog()
        let producer = try await transactionalProducer(cluster, until: .initialized, reports: reports)
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
        try await expectNextTransactionCommits(producer, topic: "cancelled")
        let sent = ids.withLock { $0 }
        let theirs = reports.all.filter { sent.contains($0.id) }
        expectOneReportEach(sent, theirs)
    }

    @Test("a transactional producer dropped with a transaction open: the abort is sent and confirmed, and the log says so")
    func droppedAbortConfirmed() async throws {
        let cluster = mockCluster(brokers: 2, topic: "dropped-abort")
        let logs = CapturedLogs()
        do {
            let producer = try await transactionalProducer(cluster, coordinator: 1, logs: logs)
            try await send(producer, 0..<10, to: "dropped-abort")
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
