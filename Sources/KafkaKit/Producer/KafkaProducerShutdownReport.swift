/// What ``KafkaProducer/shutdownAndReport(timeout:)`` did.
public struct KafkaProducerShutdownReport: Sendable, Hashable {
    /// Messages purged because they were not delivered in time, or because the transaction
    /// they were in was aborted; each one got its delivery report saying so.
    public var purgedMessages: Int
    /// Whether a transaction was open when shutdown began and shutdown aborted it.
    public var abortedTransaction: Bool
    /// Why a transaction open when shutdown began was not aborted (the abort failed, or a
    /// commit was running); `nil` when there was none or it was aborted. The transaction
    /// coordinator aborts a transaction left open after `transaction.timeout.ms`.
    public var transactionError: KafkaError?

    public init(purgedMessages: Int = 0, abortedTransaction: Bool = false, transactionError: KafkaError? = nil) {
        self.purgedMessages = purgedMessages
        self.abortedTransaction = abortedTransaction
        self.transactionError = transactionError
    }
}
