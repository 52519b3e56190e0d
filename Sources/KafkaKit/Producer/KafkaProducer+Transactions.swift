import CLibrdkafka

/// Transactions: a producer whose configuration sets `transactional.id` writes atomically —
/// the records of a transaction, and the consumer offsets sent with it, become visible to
/// `read_committed` consumers together when it commits, or never when it aborts.
///
/// ```swift
/// var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:9092"])
/// configuration["transactional.id"] = "billing-1"
/// let producer = try KafkaProducer(configuration: configuration)
/// try await producer.initTransactions()
/// try await producer.withTransaction {
///     _ = try await producer.send(KafkaProducerRecord(topic: "invoices", value: "..."))
/// }
/// ```
///
/// The calls run one at a time: a second transaction call while one runs fails with
/// ``KafkaError/Code/conflict``, and a call out of order (a commit without a transaction, a
/// second `beginTransaction()`) with ``KafkaError/Code/invalidState`` — neither reaches
/// librdkafka. A transactional producer sends only inside a transaction; a send outside one
/// fails at once with ``KafkaError/Code/invalidState`` and queues nothing. The blocking calls
/// (init, send offsets, commit, abort) wait on KafkaKit's pool of blocking threads, never on the
/// cooperative pool; each returns within its `timeout` and is not cut short by cancellation.
///
/// Errors say what to do next (see <doc:Transactions>): ``KafkaError/isRetriable`` — call the
/// same function again; ``KafkaError/requiresAbort`` — call ``abortTransaction(timeout:)``, then
/// begin anew; ``KafkaError/isFatal`` (``KafkaError/isFenced`` when another producer with the
/// same `transactional.id` took over) — the producer can do nothing more: make a new one.
extension KafkaProducer {
    /// The state of this producer's transactions: for health checks and logs.
    public var transactionState: KafkaTransactionState {
        KafkaTransactionState(core.transactions.state)
    }

    /// Registers the producer's `transactional.id` with the transaction coordinator, fencing
    /// any older producer with the same ID and aborting or completing the transaction it left
    /// open. Call it once, before the first transaction.
    ///
    /// - Throws: ``KafkaError``: ``KafkaError/Code/notConfigured`` without `transactional.id`;
    ///   ``KafkaError/Code/invalidState`` when called twice; a retriable error (such as a time
    ///   out) when the coordinator did not answer in time — call it again.
    public func initTransactions(timeout: Duration = .seconds(30)) async throws {
        try await core.transactions.initTransactions(core.client, timeout: timeout)
    }

    /// Opens a transaction: sends are taken until it is committed or aborted. Does not wait for
    /// the broker (the coordinator learns of the transaction with its first record).
    ///
    /// - Throws: ``KafkaError/Code/invalidState`` before ``initTransactions(timeout:)`` or when a
    ///   transaction is already open.
    public func beginTransaction() throws {
        try core.transactions.beginTransaction(core.client)
    }

    /// Adds a consumer's positions to the open transaction: they are committed for its group
    /// when the transaction commits, and dropped when it aborts — the heart of
    /// consume-transform-produce. The consumer must not commit by itself
    /// (`enable.auto.commit=false`).
    ///
    /// - Parameters:
    ///   - consumer: the group consumer the records were read with.
    ///   - offsets: per partition, the next offset to read (the last processed record's
    ///     `offset + 1`, its ``KafkaConsumerMessage/nextPosition``).
    ///   - timeout: how long to wait for the coordinators' answers.
    /// - Throws: ``KafkaError``: outside a transaction, for a negative offset, for a consumer
    ///   with auto-commit on; an error with ``KafkaError/requiresAbort`` when the coordinator
    ///   refused them (the group's generation moved on after a rebalance, ...).
    public func sendOffsetsToTransaction(
        consumer: KafkaConsumer,
        offsets: [KafkaTopicPartition],
        timeout: Duration = .seconds(30)
    ) async throws {
        if let bad = offsets.first(where: { $0.offset < 0 }) {
            throw KafkaError(
                code: .invalidArgument,
                message: "sendOffsetsToTransaction(): offset \(KafkaOffset(bad.offset)) of \(bad.topic)[\(bad.partition)] "
                    + "is not a position: pass the next offset to read (the last processed message's offset + 1)",
                topic: bad.topic)
        }
        if consumer.core.client.property("enable.auto.commit") == "true" {
            throw KafkaError(
                code: .invalidArgument,
                message: "sendOffsetsToTransaction(): the consumer commits offsets by itself: create it with "
                    + "enable.auto.commit=false, or its commits undo the transaction's exactly-once processing",
                property: "enable.auto.commit")
        }
        try await core.transactions.sendOffsets(core.client, consumer: consumer.core, offsets: offsets, timeout: timeout)
    }

    /// Adds to the open transaction the positions after `messages` (read with `consumer`): per
    /// partition, the highest offset among them + 1. See
    /// ``sendOffsetsToTransaction(consumer:offsets:timeout:)``.
    ///
    /// - Throws: ``KafkaError/Code/assignmentLost``, sending nothing, if a message's partition
    ///   was revoked from the consumer after it was read: another member owns it now.
    public func sendOffsetsToTransaction(
        consumer: KafkaConsumer,
        through messages: some Sequence<KafkaConsumerMessage>,
        timeout: Duration = .seconds(30)
    ) async throws {
        var positions: [KafkaTopicPartition] = []
        var index: [PartitionKey: Int] = [:]
        for message in messages {
            try consumer.core.checkNotStale(message)
            let next = message.nextPosition
            let key = PartitionKey(topic: next.topic, partition: next.partition)
            if let i = index[key] {
                positions[i].offset = max(positions[i].offset, next.offset)
            } else {
                index[key] = positions.count
                positions.append(next)
            }
        }
        try await sendOffsetsToTransaction(consumer: consumer, offsets: positions, timeout: timeout)
    }

    /// Commits the open transaction: flushes its records (waiting for their delivery reports),
    /// commits the offsets sent with it, and makes it all visible to `read_committed`
    /// consumers at once.
    ///
    /// - Throws: ``KafkaError``: with ``KafkaError/isRetriable`` (a time out: the commit stopped
    ///   and librdkafka does not finish it by itself) call it again — until then no other
    ///   transaction call may follow; with ``KafkaError/requiresAbort`` (a record was not delivered, ...) call
    ///   ``abortTransaction(timeout:)``; with ``KafkaError/isFatal`` the producer is unusable.
    public func commitTransaction(timeout: Duration = .seconds(30)) async throws {
        try await core.transactions.commit(core.client, timeout: timeout)
    }

    /// Aborts the open transaction: its queued and in-flight records are purged (each gets a
    /// report with ``KafkaError/Code/purgedFromQueue`` or ``KafkaError/Code/purgedInFlight``),
    /// those already written are marked aborted, and the offsets sent with it are dropped.
    ///
    /// A record reported delivered inside a transaction is in the log, but `read_committed`
    /// consumers never see it unless the transaction commits.
    ///
    /// - Throws: ``KafkaError``: retriable (call it again) or fatal.
    public func abortTransaction(timeout: Duration = .seconds(30)) async throws {
        try await core.transactions.abort(core.client, timeout: timeout)
    }

    /// Runs `body` in a transaction: begins one, commits it when `body` returns, and aborts it
    /// when `body` throws (then rethrows `body`'s error).
    ///
    /// A commit that fails retriably is tried again (three times in all, each with `timeout`).
    /// If the last one fails too, an error that is *not* retriable is thrown — calling
    /// `withTransaction` again cannot help, as the transaction is still being committed —
    /// saying to call ``commitTransaction(timeout:)`` to finish the commit (librdkafka does not
    /// finish it by itself; shutdown finishes it too). A commit error that requires an abort
    /// aborts the transaction and is thrown; a fatal error is thrown as is. When the abort
    /// itself fails, its error is thrown instead (its message names what caused the abort).
    ///
    /// Cancellation: a task cancelled before `withTransaction` begins nothing and throws
    /// `CancellationError`; one cancelled while `body` ran (and `body` returned) aborts the
    /// transaction instead of committing it, then throws `CancellationError`. A commit or
    /// abort under way is not cut short.
    ///
    /// `body` runs on the caller's executor. Nested transactions do not exist: a
    /// `withTransaction` inside `body` fails with ``KafkaError/Code/invalidState`` (and so
    /// aborts the outer one, if `body` lets the error through).
    ///
    /// ```swift
    /// try await producer.withTransaction {
    ///     for record in records { _ = try await producer.send(record) }
    ///     try await producer.sendOffsetsToTransaction(consumer: consumer, through: batch)
    /// }
    /// ```
    nonisolated(nonsending)
    public func withTransaction<T: Sendable>(
        timeout: Duration = .seconds(30),
        _ body: () async throws -> T
    ) async throws -> T {
        // A task cancelled already does not begin (nor, below, commit) a transaction.
        try Task.checkCancellation()
        try beginTransaction()
        let value: T
        do {
            value = try await body()
        } catch {
            try await abort(after: "the transaction's body threw \(error)", timeout: timeout)
            throw error
        }
        if Task.isCancelled {
            try await abort(after: "the task was cancelled before the commit", timeout: timeout)
            throw CancellationError()
        }
        var attempts = 0
        while true {
            attempts += 1
            do {
                try await commitTransaction(timeout: timeout)
                return value
            } catch var error as KafkaError {
                if error.isFatal { throw error }
                if error.requiresAbort {
                    try await abort(after: "the commit failed: \(error.message)", timeout: timeout)
                    throw error
                }
                guard error.isRetriable else { throw error }
                if attempts < Self.commitAttempts { continue }
                // Calling withTransaction again cannot help (the producer is committing: a
                // begin is refused); only a commit finishes this transaction.
                error.isRetriable = false
                error.message = "withTransaction: the commit did not finish after \(attempts) attempts "
                    + "(\(error.message)); the transaction is still being committed: call commitTransaction() "
                    + "to finish it before the next transaction"
                throw error
            }
        }
    }

    /// How often ``withTransaction(timeout:_:)`` tries a commit that fails retriably.
    static var commitAttempts: Int { 3 }

    /// Aborts the open transaction for `reason`, retrying a retriable failure like a commit;
    /// throws the abort's error (naming `reason`) if it does not succeed.
    nonisolated(nonsending)
    private func abort(after reason: String, timeout: Duration) async throws {
        var attempts = 0
        while true {
            attempts += 1
            do {
                try await abortTransaction(timeout: timeout)
                return
            } catch var error as KafkaError {
                if error.isRetriable, !error.isFatal, attempts < Self.commitAttempts { continue }
                error.message = "aborting the transaction (\(reason)) failed: \(error.message)"
                throw error
            }
        }
    }
}

/// A partition, as a dictionary key.
private struct PartitionKey: Hashable {
    var topic: String
    var partition: Int32
}
