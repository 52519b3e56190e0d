import Foundation
import KafkaKit
import Synchronization

/// `kafka produce -T`: each record's input written to standard output once the broker
/// acknowledged it, in input order — a record waits for every one before it — so that what
/// was printed was delivered. A record that failed is not written (the summary counts it).
///
/// kcat writes each record as it hands it to librdkafka, before knowing its outcome, and
/// without its delimiter; this writes the record with its delimiter, as it was read.
///
/// In a transaction (`transactional.id`) a delivered record is not yet visible to
/// `read_committed` readers: the records are then held, in order, until ``writeHeld()`` (the
/// transaction committed) or ``discardHeld()`` (it was aborted).
final class TeeOutput: Sendable {
    private struct State {
        /// Records sent and not yet written or dropped, in input order, from `head`.
        var pending: [(id: KafkaProducerMessageID, bytes: [UInt8])] = []
        var head = 0
        /// Outcomes of records not at the head yet: delivered or not.
        var outcomes: [KafkaProducerMessageID: Bool] = [:]
        var output = OutputBuffer(capacity: 1 << 16)
        var writeFailed = false
        /// Delivered records waiting for the commit, when the output waits for one.
        var held: [UInt8]?
    }

    private let state: Mutex<State>

    /// - Parameter holdsUntilCommit: whether delivered records wait for ``writeHeld()``.
    init(holdsUntilCommit: Bool = false) {
        state = Mutex(State(held: holdsUntilCommit ? [] : nil))
    }

    deinit { state.withLock { $0.output.release() } }

    /// A record was queued with this ID; `bytes` is what to write once it is delivered.
    func sent(_ id: KafkaProducerMessageID, _ bytes: [UInt8]) {
        state.withLock { s in
            s.pending.append((id, bytes))
            // Its report may have come already (served during the send itself).
            Self.writeOut(&s)
        }
    }

    /// Delivery reports (of any records, in any order).
    func reported(_ reports: [KafkaDeliveryReport]) {
        state.withLock { s in
            for report in reports { s.outcomes[report.id] = report.isDelivered }
            Self.writeOut(&s)
        }
    }

    /// Writes the records at the head whose outcome is known.
    private static func writeOut(_ s: inout State) {
        while s.head < s.pending.count, let delivered = s.outcomes.removeValue(forKey: s.pending[s.head].id) {
            if delivered {
                if s.held != nil { s.held!.append(contentsOf: s.pending[s.head].bytes) } else { s.output.append(s.pending[s.head].bytes) }
            }
            s.pending[s.head].bytes = []
            s.head += 1
        }
        if s.head > 4096, s.head * 2 > s.pending.count {
            s.pending.removeFirst(s.head)
            s.head = 0
        }
        if s.writeFailed {
            s.output.truncate(to: 0)
        } else if s.output.flush() != nil {
            s.writeFailed = true
        }
    }

    /// The transaction committed: writes the records held for it.
    func writeHeld() {
        state.withLock { s in
            guard let held = s.held else { return }
            s.held = nil
            var start = 0
            while !s.writeFailed, start < held.count {
                let end = min(held.count, start + (1 << 16))
                held[start..<end].withUnsafeBytes { s.output.append($0) }
                if s.output.flush() != nil { s.writeFailed = true }
                start = end
            }
        }
    }

    /// The transaction was aborted: the records held for it are not written.
    func discardHeld() {
        state.withLock { s in
            if s.held != nil { s.held = [] }
        }
    }

    /// Whether standard output failed (the records were still produced).
    var failed: Bool { state.withLock { $0.writeFailed } }
}
