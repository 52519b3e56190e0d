import CLibrdkafka
import Dispatch
import Logging
import Synchronization

/// Holds a producer's ``ProducerTransactionStateMachine`` in a `Mutex` and runs librdkafka's
/// transaction calls as it allows, outside the lock; the blocking ones (init, send offsets,
/// commit, abort) run on the shared ``RDKafkaBlockingExecutor``, never on the cooperative pool.
///
/// One atomic spares the send path the lock: `accepting`, the machine's
/// ``ProducerTransactionStateMachine/acceptsSends``, written under the lock. A send that read
/// `true` just before a commit or abort began is either part of the transaction (librdkafka's
/// commit flushes it, its abort purges it — either way it gets its report) or refused by
/// librdkafka with `_STATE`, which ``sendRefusal(topic:)`` explains.
final class RDKafkaProducerTransactions: Sendable {
    typealias Operation = ProducerTransactionStateMachine.Operation

    /// Whether the producer has a `transactional.id`; when not, sends skip every check here.
    let isTransactional: Bool
    let transactionalID: String?
    private let machine: Mutex<ProducerTransactionStateMachine>
    private let accepting = Atomic<Bool>(false)
    /// Signalled when a transaction call ends while shutdown waits for it
    /// (``ProducerTransactionStateMachine/shutdownWaits``); only shutdown waits on it, once.
    private let callEnded = DispatchSemaphore(value: 0)

    init(transactionalID: String?) {
        self.transactionalID = transactionalID
        self.isTransactional = transactionalID != nil
        self.machine = Mutex(ProducerTransactionStateMachine(transactional: transactionalID != nil))
    }

    /// Whether a transactional producer takes sends now (inside a transaction).
    @inline(__always)
    var acceptsSends: Bool { accepting.load(ordering: .acquiring) }

    var state: ProducerTransactionStateMachine.State { machine.withLock { $0.state } }

    private func update<R>(_ body: (inout ProducerTransactionStateMachine) -> R) -> R {
        machine.withLock { machine in
            defer { accepting.store(machine.acceptsSends, ordering: .releasing) }
            return body(&machine)
        }
    }

    /// Why a send is refused (outside a transaction, or refused by librdkafka with `_STATE`).
    func sendRefusal(topic: String?) -> KafkaError {
        machine.withLock { $0.sendRefusal(topic: topic) }
    }

    func fatalErrorRaised(_ error: KafkaError) {
        update { $0.fatalErrorRaised(error) }
    }

    /// librdkafka refused a send with `_STATE`: the error to throw (see
    /// ``ProducerTransactionStateMachine/librdkafkaRefusedSend(_:topic:)``).
    func librdkafkaRefusedSend(_ error: KafkaError, topic: String?) -> KafkaError {
        update { $0.librdkafkaRefusedSend(error, topic: topic) }
    }

    // MARK: Calls

    /// Runs `call` if the machine allows `operation` now, and returns the error to throw.
    private func perform(_ operation: Operation, _ call: () -> KafkaError?) -> KafkaError? {
        if case .fail(let error) = update({ $0.start(operation) }) { return error }
        return finish(operation, error: call())
    }

    /// Reports a call's answer to the machine, and wakes a shutdown waiting for the call.
    private func finish(_ operation: Operation, error: KafkaError?) -> KafkaError? {
        let (result, shutdownWaits) = update { machine in
            let result = machine.finished(operation, error: error)
            return (result, machine.shutdownWaits)
        }
        if shutdownWaits { callEnded.signal() }
        return result
    }

    /// The same, for a blocking librdkafka call: it runs on the blocking executor.
    private func perform(_ operation: Operation, blocking call: @escaping @Sendable () -> KafkaError?) async -> KafkaError? {
        if case .fail(let error) = update({ $0.start(operation) }) { return error }
        let error = await runBlocking(call)
        return finish(operation, error: error)
    }

    func initTransactions(_ client: RDKafkaClient, timeout: Duration) async throws(KafkaError) {
        let milliseconds = timeout.timeoutMilliseconds
        if let error = await perform(.initTransactions, blocking: {
            rd_kafka_init_transactions(client.handle, milliseconds).map(KafkaError.init(consuming:))
        }) { throw error }
    }

    func beginTransaction(_ client: RDKafkaClient) throws(KafkaError) {
        // Not blocking: librdkafka only changes its state (a hand-off to its own thread).
        if let error = perform(.beginTransaction, { rd_kafka_begin_transaction(client.handle).map(KafkaError.init(consuming:)) }) {
            throw error
        }
    }

    func sendOffsets(
        _ client: RDKafkaClient, consumer: RDKafkaConsumerCore, offsets: [KafkaTopicPartition], timeout: Duration
    ) async throws(KafkaError) {
        let milliseconds = timeout.timeoutMilliseconds
        if let error = await perform(.sendOffsets, blocking: {
            guard let metadata = rd_kafka_consumer_group_metadata(consumer.client.handle) else {
                return KafkaError(code: .invalidArgument, message: "sendOffsetsToTransaction(): the consumer has no group metadata")
            }
            defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
            let list = RDKafkaTopicPartitionList.make(offsets)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let failure = rd_kafka_send_offsets_to_transaction(client.handle, list, metadata, milliseconds) {
                return KafkaError(consuming: failure)
            }
            return nil
        }) { throw error }
    }

    func commit(_ client: RDKafkaClient, timeout: Duration) async throws(KafkaError) {
        let milliseconds = timeout.timeoutMilliseconds
        if let error = await perform(.commit, blocking: {
            rd_kafka_commit_transaction(client.handle, milliseconds).map(KafkaError.init(consuming:))
        }) { throw error }
    }

    func abort(_ client: RDKafkaClient, timeout: Duration) async throws(KafkaError) {
        let milliseconds = timeout.timeoutMilliseconds
        if let error = await perform(.abort, blocking: {
            rd_kafka_abort_transaction(client.handle, milliseconds).map(KafkaError.init(consuming:))
        }) { throw error }
    }

    // MARK: Shutdown

    /// What became of a transaction open when shutdown began.
    struct ShutdownOutcome {
        var aborted = false
        var committed = false
        var error: KafkaError? = nil
    }

    /// Refuses every later transaction call and ends an open transaction within `timeout`
    /// (blocking: shutdown runs on the blocking executor): waits for a transaction call that
    /// runs to end, then aborts a transaction that is open or must be aborted, and resumes a
    /// commit that timed out (aborting it if it then requires an abort). Logs what it did, at
    /// info.
    func endAtShutdownBlocking(_ client: RDKafkaClient, timeout: Duration, logger: Logger) -> ShutdownOutcome {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        func timeLeft() -> Duration { max(.zero, deadline - clock.now) }
        var metadata: Logger.Metadata = [:]
        if let transactionalID { metadata[KafkaLogMetadataKey.transactionalID] = "\(transactionalID)" }

        var action = update { $0.shutdown() }
        if case .waitForCall = action {
            // The call's end signals (see `finish`); no polling.
            let left = timeLeft()
            let ended = callEnded.wait(timeout: .now() + .milliseconds(Int(left.timeoutMilliseconds))) == .success
            action = update { ended ? $0.shutdown() : $0.shutdownGaveUpWaiting() }
        }
        switch action {
        case .none:
            return ShutdownOutcome()
        case .waitForCall:
            // shutdown() asked again after the call ended: it never answers wait twice.
            return ShutdownOutcome()
        case .leave(let reason):
            metadata[KafkaLogMetadataKey.error] = "\(reason)"
            logger.info("Kafka producer shut down with a transaction open", metadata: metadata)
            return ShutdownOutcome(error: reason)
        case .resumeCommit:
            // librdkafka sends EndTxn only from a commit call: resume the one that timed out.
            guard let failure = rd_kafka_commit_transaction(client.handle, timeLeft().timeoutMilliseconds) else {
                logger.info("Kafka producer finished committing the transaction at shutdown", metadata: metadata)
                return ShutdownOutcome(committed: true)
            }
            var error = KafkaError(consuming: failure)
            guard error.requiresAbort, !ProducerTransactionStateMachine.endsTheProducer(error) else {
                error.message = "finishing the commit of the transaction at shutdown failed (not committed; the coordinator "
                    + "aborts it after transaction.timeout.ms unless its EndTxn reached it): \(error.message)"
                metadata[KafkaLogMetadataKey.error] = "\(error)"
                logger.info("Kafka producer could not finish committing the transaction at shutdown", metadata: metadata)
                return ShutdownOutcome(error: error)
            }
            return abortBlocking(client, timeout: timeLeft(), logger: logger, metadata: metadata)
        case .abort:
            return abortBlocking(client, timeout: timeLeft(), logger: logger, metadata: metadata)
        }
    }

    /// Aborts the open transaction at shutdown. Aborting purges the transaction's queued and
    /// in-flight messages: each gets its report.
    private func abortBlocking(_ client: RDKafkaClient, timeout: Duration, logger: Logger, metadata: Logger.Metadata) -> ShutdownOutcome {
        var metadata = metadata
        if let failure = rd_kafka_abort_transaction(client.handle, timeout.timeoutMilliseconds) {
            var error = KafkaError(consuming: failure)
            if error.code == .timedOut {
                // The abort (EndTxn) may well have been sent: only its answer did not come in time.
                error.message = "the abort of the open transaction at shutdown was not confirmed in time (if it did not "
                    + "reach the coordinator, the coordinator aborts the transaction after transaction.timeout.ms): \(error.message)"
                metadata[KafkaLogMetadataKey.error] = "\(error)"
                logger.info("Kafka producer's abort of the open transaction at shutdown was not confirmed", metadata: metadata)
            } else {
                error.message = "aborting the open transaction at shutdown failed (the coordinator aborts it "
                    + "after transaction.timeout.ms): \(error.message)"
                metadata[KafkaLogMetadataKey.error] = "\(error)"
                logger.info("Kafka producer could not abort the open transaction at shutdown", metadata: metadata)
            }
            return ShutdownOutcome(error: error)
        }
        logger.info("Kafka producer aborted the open transaction at shutdown", metadata: metadata)
        return ShutdownOutcome(aborted: true)
    }
}
