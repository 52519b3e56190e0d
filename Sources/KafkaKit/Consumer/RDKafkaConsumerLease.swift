public import Synchronization

/// A batch taken from librdkafka, lent to the iterator that holds the read turn, and how much
/// of it has been handed to the application.
///
/// The iterator reads it without a lock: `handed` and `limit` are relaxed atomics because the
/// consumer reads them from other threads (a commit stores what was handed; close truncates
/// `limit` so the iterator hands out nothing more). On x86 and ARM a relaxed load or store is
/// a plain move, so a message costs no more than before.
@usableFromInline
final class RDKafkaConsumerLease: Sendable {
    @usableFromInline let batch: RDKafkaMessageBatch
    /// The index of the next message to hand out.
    @usableFromInline let handed: Atomic<Int>
    /// One past the last message that may be handed out.
    @usableFromInline let limit: Atomic<Int>

    init(batch: RDKafkaMessageBatch, from start: Int = 0) {
        self.batch = batch
        self.handed = Atomic(start)
        self.limit = Atomic(batch.count)
    }

    /// The next message to hand out, or `nil` when the lease is used up (or truncated).
    @inlinable
    func handOutNext() -> KafkaConsumerMessage? {
        let index = handed.load(ordering: .relaxed)
        guard index < limit.load(ordering: .relaxed) else { return nil }
        handed.store(index + 1, ordering: .relaxed)
        return KafkaConsumerMessage(batch: batch, index: index)
    }

    /// Whether messages are left to hand out.
    var hasMore: Bool { handed.load(ordering: .relaxed) < limit.load(ordering: .relaxed) }

    /// Hands out nothing more (close).
    func truncate() {
        limit.store(handed.load(ordering: .acquiring), ordering: .releasing)
    }

    /// Hands out everything that is left at once (a whole batch to a batch iterator); returns
    /// the range handed.
    func handAll() -> Range<Int> {
        let end = limit.load(ordering: .relaxed)
        let start = handed.exchange(end, ordering: .relaxed)
        return min(start, end)..<end
    }
}

/// An iterator's identity towards the consumer's read side. When the last copy of an
/// iterator goes (a `break`, the loop's end, a dropped task), the batch it was reading stays
/// with the consumer for the next iterator, and the read turn passes on.
@usableFromInline
final class RDKafkaConsumerReader: Sendable {
    @usableFromInline let core: RDKafkaConsumerCore
    @usableFromInline let id: UInt64

    init(core: RDKafkaConsumerCore) {
        self.core = core
        self.id = core.makeReaderID()
    }

    deinit {
        core.readerLeft(id)
    }
}
