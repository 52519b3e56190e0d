/// The transaction `kafka produce` keeps around its whole input when `transactional.id` is set:
/// begun before the first record is read, committed at the end of the input when every record
/// read was delivered, aborted otherwise — on a signal, an input that could not be read to its
/// end, or a record that was not sent or not delivered. All of the input or none of it.
///
/// A value type: the command holds it, tells it what happened and does what it answers.
public struct KafkaInputTransaction: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Records are being read and sent.
        case open
        /// The commit was asked for.
        case committing
        /// The abort was asked for, for this reason.
        case aborting(reason: String)
        case committed
        case aborted(reason: String)
        /// Neither a commit nor an abort finished: a commit that did not finish in time may
        /// still complete; otherwise the coordinator aborts the transaction after
        /// `transaction.timeout.ms`.
        case unresolved(reason: String)
    }

    /// What the command does next.
    public enum Action: Sendable, Equatable {
        case commit
        case abort(reason: String)
        /// Nothing more to do: report ``state``.
        case report
    }

    public private(set) var state: State = .open

    public init() {}

    /// The input ended or was stopped, and every record sent has its outcome.
    ///
    /// - Parameters:
    ///   - signal: the name of the signal that stopped the reading, if one did.
    ///   - readFailure: whether the input could not be read to its end.
    ///   - notSent: records librdkafka refused.
    ///   - failed: records whose delivery failed (purged ones included).
    public mutating func inputEnded(signal: String?, readFailure: Bool, notSent: Int, failed: Int) -> Action {
        guard state == .open else { return .report }
        let reason: String? =
            if let signal { "interrupted by \(signal)" }
            else if readFailure { "the input could not be read to its end" }
            else if notSent > 0 { "\(Self.records(notSent)) not sent" }
            else if failed > 0 { "\(Self.records(failed)) not delivered" }
            else { nil }
        guard let reason else {
            state = .committing
            return .commit
        }
        state = .aborting(reason: reason)
        return .abort(reason: reason)
    }

    /// Whether records are still being read and sent.
    public var isOpen: Bool { state == .open }

    /// The commit finished.
    public mutating func committed() {
        if case .committing = state { state = .committed }
    }

    /// The commit failed with `error` (the caller resumed a retriable one while its time
    /// lasted): aborted if the error requires it (a record or request of the transaction
    /// failed); otherwise unresolved — a fatal error, or a commit that did not finish in time,
    /// which librdkafka allows only to be resumed, never aborted.
    public mutating func commitFailed(_ error: String, requiresAbort: Bool) -> Action {
        guard state == .committing else { return .report }
        let reason = "the commit failed: \(error)"
        guard requiresAbort else {
            state = .unresolved(reason: reason)
            return .report
        }
        state = .aborting(reason: reason)
        return .abort(reason: reason)
    }

    /// The abort finished.
    public mutating func aborted() {
        if case .aborting(let reason) = state { state = .aborted(reason: reason) }
    }

    /// The abort failed with `error`.
    public mutating func abortFailed(_ error: String) {
        if case .aborting(let reason) = state { state = .unresolved(reason: "\(reason); the abort failed: \(error)") }
    }

    /// Whether the input's records are committed.
    public var isCommitted: Bool { state == .committed }

    private static func records(_ n: Int) -> String { n == 1 ? "1 record was" : "\(n) records were" }
}
