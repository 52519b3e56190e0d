/// Where a producer's transactions stand (``KafkaProducer/transactionState``), for health
/// checks and logs. ``description`` is the state's name, such as `inTransaction`.
public struct KafkaTransactionState: Sendable, Hashable, CustomStringConvertible {
    /// The state's name: `notTransactional`, `uninitialized`, `initializing`, `ready`,
    /// `beginning`, `inTransaction`, `committing`, `aborting`, `needsAbort`, `fatal` or `shutDown`.
    public let name: String

    private init(name: String) { self.name = name }

    /// The producer has no `transactional.id`.
    public static let notTransactional = Self(name: "notTransactional")
    /// ``KafkaProducer/initTransactions(timeout:)`` has not succeeded yet.
    public static let uninitialized = Self(name: "uninitialized")
    /// ``KafkaProducer/initTransactions(timeout:)`` is running.
    public static let initializing = Self(name: "initializing")
    /// No transaction is open: ``KafkaProducer/beginTransaction()`` may open one.
    public static let ready = Self(name: "ready")
    /// ``KafkaProducer/beginTransaction()`` is running.
    public static let beginning = Self(name: "beginning")
    /// A transaction is open: sends are taken.
    public static let inTransaction = Self(name: "inTransaction")
    /// A commit is running, or one was interrupted by a retriable error (a timeout) and must
    /// be finished by calling ``KafkaProducer/commitTransaction(timeout:)`` again: it does not
    /// go on by itself (librdkafka sends the commit to the coordinator only from a commit
    /// call). Shutdown finishes it too.
    public static let committing = Self(name: "committing")
    /// An abort is running, or one was interrupted and must be finished.
    public static let aborting = Self(name: "aborting")
    /// The transaction failed and must be aborted (``KafkaError/requiresAbort``).
    public static let needsAbort = Self(name: "needsAbort")
    /// A fatal error (the producer was fenced, ...): make a new producer.
    public static let fatal = Self(name: "fatal")
    /// The producer is shut down.
    public static let shutDown = Self(name: "shutDown")

    public var description: String { name }

    init(_ state: ProducerTransactionStateMachine.State) {
        switch state {
        case .notTransactional: self = .notTransactional
        case .uninitialized: self = .uninitialized
        case .initializing: self = .initializing
        case .ready: self = .ready
        case .beginning: self = .beginning
        case .inTransaction: self = .inTransaction
        case .committing: self = .committing
        case .aborting: self = .aborting
        case .needsAbort: self = .needsAbort
        case .fatal: self = .fatal
        case .shutDown: self = .shutDown
        }
    }
}
