/// The transaction rules of a producer: which transaction call may run when, what a send is
/// told outside a transaction, and what shutdown does with an open transaction — in one value.
///
/// ``RDKafkaProducerTransactions`` keeps it in a `Mutex`. A call asks ``start(_:)`` first and
/// either runs librdkafka's function (outside the lock) or throws the error it is given, then
/// reports librdkafka's answer to ``finished(_:error:)``. The send path never takes the lock:
/// it reads an atomic copy of ``acceptsSends``.
///
/// ```
/// uninitialized ─init─▶ initializing ─▶ ready ─begin─▶ beginning ─▶ inTransaction ─commit─▶ committing ─▶ ready
///                                          ▲                              │  ▲  │                 │ retriable: committing(inProgress: false)
///                                          │                              │  └──┘ sendOffsets     │ requires abort
///                                          └──────── aborting ◀──abort────┴────── needsAbort ◀────┘
/// any state ─fatal error (fenced, ...)─▶ fatal        any state ─shutdown─▶ shutDown
/// inTransaction ─librdkafka refused a send: the transaction failed─▶ needsAbort
/// ```
/// Shutdown while a call runs waits for it (``shutdown()`` answers ``ShutdownAction/waitForCall(_:)``;
/// no call may start meanwhile), then finishes what the call left: aborts a transaction that
/// must be aborted, resumes a commit that timed out.
/// One call at a time: librdkafka serialises its transaction calls and answers a second
/// concurrent one with `_CONFLICT`; the machine refuses it first, saying which call is running.
struct ProducerTransactionStateMachine {
    enum State: Equatable {
        /// The producer has no `transactional.id`.
        case notTransactional
        /// `initTransactions()` has not succeeded yet (a retriable failure comes back here).
        case uninitialized
        case initializing
        /// No transaction is open.
        case ready
        case beginning
        /// A transaction is open; sends are taken. `sendingOffsets` while
        /// `sendOffsetsToTransaction` runs.
        case inTransaction(sendingOffsets: Bool)
        /// A commit runs (`inProgress`), or a retriable error interrupted one: librdkafka then
        /// takes only another commit, which resumes it.
        case committing(inProgress: Bool)
        /// An abort runs, or a retriable error interrupted one (another abort resumes it).
        case aborting(inProgress: Bool)
        /// A call failed with an error that requires the transaction to be aborted.
        case needsAbort(KafkaError)
        /// librdkafka raised a fatal error (a fenced producer, ...): nothing works any more.
        case fatal(KafkaError)
        case shutDown
    }

    /// The transaction calls, named as the application calls them.
    enum Operation: String, Sendable {
        case initTransactions = "initTransactions()"
        case beginTransaction = "beginTransaction()"
        case sendOffsets = "sendOffsetsToTransaction()"
        case commit = "commitTransaction()"
        case abort = "abortTransaction()"
    }

    private(set) var state: State
    /// Shutdown has begun and waits for the running call to end: no call may start, no send
    /// is taken; the running call's answer still moves `state`, for shutdown to act on.
    private(set) var shutdownWaits = false

    init(transactional: Bool) {
        state = transactional ? .uninitialized : .notTransactional
    }

    /// Whether sends are taken: only inside a transaction (the send path reads an atomic copy).
    var acceptsSends: Bool {
        if case .inTransaction = state, !shutdownWaits { return true }
        return false
    }

    // MARK: Transaction calls

    enum StartAction: Equatable {
        /// Run librdkafka's call, then report its answer to ``finished(_:error:)``.
        case call
        /// Do not call librdkafka: throw this.
        case fail(KafkaError)
    }

    mutating func start(_ operation: Operation) -> StartAction {
        if shutdownWaits {
            return .fail(KafkaError(code: .destroyed, message: "\(operation.rawValue): the producer is shutting down"))
        }
        switch state {
        case .notTransactional:
            return .fail(Self.notTransactional(operation))
        case .shutDown:
            return .fail(KafkaError(code: .destroyed, message: "\(operation.rawValue): the producer is shut down"))
        case .fatal(let error):
            return .fail(Self.fatal(error, in: operation))
        case .uninitialized:
            guard operation == .initTransactions else {
                return .fail(Self.misuse(operation, "the producer is not ready for transactions yet: call initTransactions() first"))
            }
            state = .initializing
            return .call
        case .initializing:
            return .fail(Self.conflict(operation, running: .initTransactions))
        case .ready:
            switch operation {
            case .initTransactions:
                return .fail(Self.alreadyInitialized)
            case .beginTransaction:
                state = .beginning
                return .call
            case .sendOffsets, .commit, .abort:
                return .fail(Self.misuse(operation, "no transaction is open: call beginTransaction() first"))
            }
        case .beginning:
            return .fail(operation == .initTransactions ? Self.alreadyInitialized : Self.conflict(operation, running: .beginTransaction))
        case .inTransaction(let sendingOffsets):
            switch operation {
            case .initTransactions:
                return .fail(Self.alreadyInitialized)
            case .beginTransaction:
                return .fail(Self.misuse(operation, "a transaction is already open: commit or abort it first"))
            case .sendOffsets, .commit, .abort:
                if sendingOffsets { return .fail(Self.conflict(operation, running: .sendOffsets)) }
                state = operation == .sendOffsets ? .inTransaction(sendingOffsets: true)
                    : operation == .commit ? .committing(inProgress: true) : .aborting(inProgress: true)
                return .call
            }
        case .committing(let inProgress):
            if operation == .initTransactions { return .fail(Self.alreadyInitialized) }
            if inProgress { return .fail(Self.conflict(operation, running: .commit)) }
            guard operation == .commit else {
                return .fail(Self.misuse(operation, "the commit of the current transaction began and did not finish: "
                    + "call commitTransaction() again to finish it (librdkafka cannot abort a transaction whose commit has begun)"))
            }
            state = .committing(inProgress: true)
            return .call
        case .aborting(let inProgress):
            if operation == .initTransactions { return .fail(Self.alreadyInitialized) }
            if inProgress { return .fail(Self.conflict(operation, running: .abort)) }
            guard operation == .abort else {
                return .fail(Self.misuse(operation, "the abort of the current transaction did not finish: call abortTransaction() again"))
            }
            state = .aborting(inProgress: true)
            return .call
        case .needsAbort(let cause):
            if operation == .initTransactions { return .fail(Self.alreadyInitialized) }
            guard operation == .abort else { return .fail(Self.mustAbort(cause, in: operation)) }
            state = .aborting(inProgress: true)
            return .call
        }
    }

    /// librdkafka answered `operation` (started by ``start(_:)``) with `error` (`nil`: done).
    /// Returns the error to throw, if any, with what the application must do next.
    mutating func finished(_ operation: Operation, error: KafkaError?) -> KafkaError? {
        guard var result = settle(operation, error: error) else { return nil }
        if shutdownWaits {
            switch state {
            case .needsAbort:
                result.message += " (the producer is shutting down: its shutdown aborts the transaction)"
            case .committing(inProgress: false):
                result.message += " (the producer is shutting down: its shutdown resumes the commit)"
            default:
                break
            }
        }
        return result
    }

    private mutating func settle(_ operation: Operation, error: KafkaError?) -> KafkaError? {
        switch state {
        case .shutDown:
            // Shutdown came meanwhile; the call's own answer still goes to its caller.
            return error.map { $0.isFatal ? Self.fatal($0, in: operation) : $0 }
        case .fatal(let raised):
            // A fatal error raised meanwhile (seen by the poller) explains a failure best.
            return error.map { $0.isFatal ? Self.fatal($0, in: operation) : Self.fatal(raised, in: operation) }
        default:
            break
        }
        if let error, Self.endsTheProducer(error) {
            state = .fatal(error)
            return Self.fatal(error, in: operation)
        }
        switch operation {
        case .initTransactions:
            state = error == nil ? .ready : .uninitialized
            return error
        case .beginTransaction:
            state = error == nil ? .inTransaction(sendingOffsets: false) : .ready
            return error
        case .sendOffsets:
            guard let error else {
                state = .inTransaction(sendingOffsets: false)
                return nil
            }
            if error.requiresAbort {
                state = .needsAbort(error)
                return Self.abortNeeded(error)
            }
            // Retriable (or refused before anything was sent): the transaction stays open.
            state = .inTransaction(sendingOffsets: false)
            return error
        case .commit:
            guard let error else {
                state = .ready
                return nil
            }
            if error.requiresAbort {
                state = .needsAbort(error)
                return Self.abortNeeded(error)
            }
            // Retriable (a timeout): librdkafka does not go on by itself — the records'
            // flush stopped, and EndTxn is sent only by another commit, which resumes this one.
            // Only another commit may follow.
            state = .committing(inProgress: false)
            var retry = error
            retry.message += " (the commit did not finish and does not go on by itself: call commitTransaction() again to finish it)"
            return retry
        case .abort:
            guard let error else {
                state = .ready
                return nil
            }
            state = .aborting(inProgress: false)
            var retry = error
            retry.message += " (call abortTransaction() again to finish the abort)"
            return retry
        }
    }

    /// Whether `error` leaves the producer unusable: librdkafka says it is fatal, or the broker
    /// said `PRODUCER_FENCED` — a newer producer with the same `transactional.id` holds the ID,
    /// so no commit or abort can succeed any more. librdkafka reports a record refused that way
    /// as requiring an abort and fails the abort (fatally, or — on a broker that drops the
    /// connection instead of answering — only at its timeout); KafkaKit, like the Java
    /// client, makes it fatal at once.
    static func endsTheProducer(_ error: KafkaError) -> Bool {
        error.isFatal || error.code == .producerFenced
    }

    /// librdkafka raised a fatal error (seen by the poller): every later call fails with it.
    mutating func fatalErrorRaised(_ error: KafkaError) {
        switch state {
        case .notTransactional, .shutDown, .fatal: return
        default: state = .fatal(error)
        }
    }

    /// Why a send is refused while ``acceptsSends`` is false.
    func sendRefusal(topic: String?) -> KafkaError {
        let reason: String
        switch state {
        case .notTransactional, .inTransaction:
            // Not refused here; librdkafka refused it (a send racing a commit or abort).
            reason = "the transaction was being committed or aborted as the record was sent: send inside a transaction"
        case .uninitialized, .initializing:
            reason = "a transactional producer (transactional.id is set) sends only inside a transaction: "
                + "call initTransactions() once, then beginTransaction()"
        case .ready, .beginning:
            reason = "a transactional producer (transactional.id is set) sends only inside a transaction: call beginTransaction() first"
        case .committing:
            reason = "the transaction is being committed: send in the next one (begin it after commitTransaction() returns)"
        case .aborting:
            reason = "the transaction is being aborted: send in the next one (begin it after abortTransaction() returns)"
        case .needsAbort(let cause):
            var error = Self.mustAbort(cause, in: nil)
            error.topic = topic
            return error
        case .fatal(let error):
            var error = Self.fatal(error, in: nil)
            error.topic = topic
            return error
        case .shutDown:
            return KafkaError(code: .destroyed, message: "the producer is shut down", topic: topic)
        }
        return KafkaError(code: .invalidState, message: "send refused: \(reason)", topic: topic)
    }

    // MARK: Shutdown

    enum ShutdownAction: Equatable {
        /// No transaction is open.
        case none
        /// Abort the open transaction (it is the shutdown's: no call of the application runs).
        case abort
        /// Resume the commit that a retriable error (a timeout) interrupted: librdkafka sends
        /// EndTxn only when a commit is called, so without this the transaction stays open
        /// until the coordinator aborts it (`transaction.timeout.ms`).
        case resumeCommit
        /// This call of the application runs: wait for it to end (the caller is told through
        /// ``shutdownWaits``), then ask ``shutdown()`` again — or ``shutdownGaveUpWaiting()``
        /// when the shutdown's time ran out first.
        case waitForCall(Operation)
        /// A transaction is open but cannot be ended now, for this reason: it is left to the
        /// call that runs, or to the transaction coordinator (`transaction.timeout.ms`).
        case leave(KafkaError)
    }

    /// The call running now, if any.
    private var runningCall: Operation? {
        switch state {
        case .initializing: .initTransactions
        case .beginning: .beginTransaction
        case .inTransaction(sendingOffsets: true): .sendOffsets
        case .committing(inProgress: true): .commit
        case .aborting(inProgress: true): .abort
        default: nil
        }
    }

    /// Shutdown begins: from now on every transaction call fails with `destroyed`. While a
    /// call runs, shutdown waits for it (``ShutdownAction/waitForCall(_:)``) and asks again
    /// once it ended; then it learns what to do with what the call left.
    mutating func shutdown() -> ShutdownAction {
        switch state {
        case .notTransactional, .shutDown:
            return .none
        default:
            break
        }
        if let running = runningCall {
            shutdownWaits = true
            return .waitForCall(running)
        }
        shutdownWaits = false
        let previous = state
        state = .shutDown
        switch previous {
        case .inTransaction, .needsAbort, .aborting:
            return .abort
        case .committing:
            return .resumeCommit
        default:
            return .none
        }
    }

    /// The shutdown's time ran out while it waited for a call: if the call still runs, the
    /// transaction is left to it; if it ended just now, as ``shutdown()``.
    mutating func shutdownGaveUpWaiting() -> ShutdownAction {
        guard let running = runningCall else { return shutdown() }
        shutdownWaits = false
        state = .shutDown
        let reason = switch running {
        case .commit: "commitTransaction() was still running when the shutdown's time ran out: it commits or fails on its own"
        case .abort: "abortTransaction() was still running when the shutdown's time ran out: it aborts it"
        default: "\(running.rawValue) was still running when the shutdown's time ran out"
        }
        return .leave(Self.leftOpen(reason))
    }

    // MARK: Errors

    private static func notTransactional(_ operation: Operation) -> KafkaError {
        KafkaError(
            code: .notConfigured,
            message: "\(operation.rawValue) needs a transactional producer: set transactional.id in its configuration",
            property: "transactional.id")
    }

    private static let alreadyInitialized = KafkaError(
        code: .invalidState,
        message: "initTransactions(): already done: the producer is ready for transactions (call it once per producer)")

    private static func misuse(_ operation: Operation, _ reason: String) -> KafkaError {
        KafkaError(code: .invalidState, message: "\(operation.rawValue): \(reason)")
    }

    private static func conflict(_ operation: Operation, running: Operation) -> KafkaError {
        KafkaError(
            code: .conflict,
            message: "\(operation.rawValue): \(running.rawValue) is still running on this producer: "
                + "transaction calls run one at a time, wait for it to return")
    }

    private static func leftOpen(_ reason: String) -> KafkaError {
        KafkaError(code: .invalidState, message: "the open transaction was not ended at shutdown: \(reason)")
    }

    // MARK: Sends librdkafka refused

    /// librdkafka refused a send with `_STATE` (`librdkafka`: its error). Inside a
    /// transaction that means librdkafka itself moved the transaction to an abortable error (a
    /// record or request of it failed): the machine moves to `needsAbort`, so that every call
    /// agrees, and the send is told to abort. Otherwise the send raced a commit or an abort.
    mutating func librdkafkaRefusedSend(_ librdkafka: KafkaError, topic: String?) -> KafkaError {
        // librdkafka names its state: "Producing not allowed in transactional state X". A send
        // that raced a commit or abort sees a committing or aborting state there.
        let text = librdkafka.message
        let raced = text.contains("Commit") || (text.contains("Abort") && !text.contains("AbortableError"))
        if case .inTransaction = state, !raced {
            var cause = librdkafka
            cause.requiresAbort = true
            cause.isRetriable = false
            cause.message = "librdkafka failed the transaction (a record or request of it failed): \(text)"
            state = .needsAbort(cause)
        }
        var error = sendRefusal(topic: topic)
        error.message += " (librdkafka: \(text))"
        return error
    }



    /// `cause`, which requires an abort, as a call other than abort is told of it.
    private static func mustAbort(_ cause: KafkaError, in operation: Operation?) -> KafkaError {
        var error = cause
        error.requiresAbort = true
        error.isRetriable = false
        error.message = (operation.map { "\($0.rawValue): " } ?? "send refused: ")
            + "the transaction failed and must be aborted: call abortTransaction() (\(cause.message))"
        return error
    }

    /// An error librdkafka flagged `txn_requires_abort`, with what to do.
    private static func abortNeeded(_ error: KafkaError) -> KafkaError {
        var error = error
        error.message += " (the transaction must be aborted: call abortTransaction())"
        return error
    }

    /// A fatal error, as every call is told of it; says so when the producer was fenced.
    static func fatal(_ cause: KafkaError, in operation: Operation?) -> KafkaError {
        var error = cause
        error.isFatal = true
        error.isRetriable = false
        error.requiresAbort = false
        let prefix = operation.map { "\($0.rawValue): " } ?? ""
        let fenced = error.isFenced
            ? " — fenced: another producer with the same transactional.id has taken over; create a new producer to go on"
            : ""
        error.message = prefix + "the producer has a fatal error and can no longer be used: " + cause.message + fenced
        return error
    }
}
