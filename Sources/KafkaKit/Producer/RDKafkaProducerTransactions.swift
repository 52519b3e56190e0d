import CLibrdkafka
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

    // MARK: Calls

    /// Runs `call` if the machine allows `operation` now, and returns the error to throw.
    private func perform(_ operation: Operation, _ call: () -> KafkaError?) -> KafkaError? {
        if case .fail(let error) = update({ $0.start(operation) }) { return error }
        let error = call()
        return update { $0.finished(operation, error: error) }
    }

    /// The same, for a blocking librdkafka call: it runs on the blocking executor.
    private func perform(_ operation: Operation, blocking call: @escaping @Sendable () -> KafkaError?) async -> KafkaError? {
        if case .fail(let error) = update({ $0.start(operation) }) { return error }
        let error = await runBlocking(call)
        return update { $0.finished(operation, error: error) }
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
        var error: KafkaError? = nil
    }

    /// Refuses every later transaction call and aborts an open transaction, waiting up to
    /// `timeout` (blocking: shutdown runs on the blocking executor). Logs what it did, at info.
    func abortAtShutdownBlocking(_ client: RDKafkaClient, timeout: Duration, logger: Logger) -> ShutdownOutcome {
        let action = update { $0.shutdown() }
        var metadata: Logger.Metadata = [:]
        if let transactionalID { metadata[KafkaLogMetadataKey.transactionalID] = "\(transactionalID)" }
        switch action {
        case .none:
            return ShutdownOutcome()
        case .leave(let reason):
            metadata[KafkaLogMetadataKey.error] = "\(reason)"
            logger.info("Kafka producer shut down with a transaction open", metadata: metadata)
            return ShutdownOutcome(error: reason)
        case .abort:
            // Aborting purges the transaction's queued and in-flight messages: each gets its report.
            if let failure = rd_kafka_abort_transaction(client.handle, timeout.timeoutMilliseconds) {
                var error = KafkaError(consuming: failure)
                error.message = "aborting the open transaction at shutdown failed (the coordinator aborts it "
                    + "after transaction.timeout.ms): \(error.message)"
                metadata[KafkaLogMetadataKey.error] = "\(error)"
                logger.info("Kafka producer could not abort the open transaction at shutdown", metadata: metadata)
                return ShutdownOutcome(error: error)
            }
            logger.info("Kafka producer aborted the open transaction at shutdown", metadata: metadata)
            return ShutdownOutcome(aborted: true)
        }
    }
}
