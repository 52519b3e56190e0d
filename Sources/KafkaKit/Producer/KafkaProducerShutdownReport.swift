/// What ``KafkaProducer/shutdownAndReport(timeout:)`` did.
///
/// A transactional producer's shutdown first ends a transaction left open, within its
/// timeout: it waits for a transaction call that runs (a commit, ...) to return, then aborts a
/// transaction that is open or must be aborted, and finishes a commit that timed out
/// (librdkafka finishes it only when a commit is called).
public struct KafkaProducerShutdownReport: Sendable, Hashable {
    /// Messages purged because they were not delivered in time, or because the transaction
    /// they were in was aborted; each one got its delivery report saying so.
    public var purgedMessages: Int
    /// Whether a transaction was open (or, after the running call, had to be aborted) when
    /// shutdown began, and shutdown aborted it.
    public var abortedTransaction: Bool
    /// Whether a transaction whose commit had timed out was committed by shutdown (it resumed
    /// the commit).
    public var committedTransaction: Bool
    /// Why a transaction open when shutdown began was not ended (the abort or the resumed
    /// commit failed or was not confirmed in time, or a transaction call still ran when the
    /// timeout ran out); `nil` when there was none or it was ended. The transaction
    /// coordinator aborts a transaction left open after `transaction.timeout.ms`.
    public var transactionError: KafkaError?

    public init(
        purgedMessages: Int = 0, abortedTransaction: Bool = false, committedTransaction: Bool = false,
        transactionError: KafkaError? = nil
    ) {
        self.purgedMessages = purgedMessages
        self.abortedTransaction = abortedTransaction
        self.committedTransaction = committedTransaction
        self.transactionError = transactionError
    }
}
