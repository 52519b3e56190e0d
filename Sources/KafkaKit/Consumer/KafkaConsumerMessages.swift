/// A consumer's messages, one at a time, as an `AsyncSequence`.
///
/// Records taken from librdkafka belong to the consumer, not to one iterator: `break` out of a
/// loop and the next loop continues with the record after the last one you got. Loops in two
/// tasks at once share the stream, a batch at a time (each record goes to one of them).
///
/// Within a batch, `next()` returns without suspending and without a lock, on the caller's own
/// executor (a `for await` loop on the main actor does not hop per message).
///
/// Unless you store offsets yourself (`enable.auto.offset.store=false`), asking for the next
/// record marks the ones before it as processed, a batch at a time, and closing the consumer
/// marks what it handed you (at-least-once: a crash re-delivers at most the batch you were in).
///
/// A task cancelled while iterating ends its loop at the next batch boundary (the records of
/// the batch it holds are still handed out, so none is lost).
///
/// An iterator holds the consumer's read turn while it has records of a batch: an iterator
/// kept alive but no longer advanced (made by hand, then set aside) keeps other loops waiting
/// until it is dropped. Do not copy an iterator and use both copies. The sequence ends when
/// its ``KafkaConsumer`` is closed — also when the last reference to the consumer goes.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    public typealias Failure = Never

    let core: RDKafkaConsumerCore

    public struct AsyncIterator: AsyncIteratorProtocol {
        @usableFromInline let reader: RDKafkaConsumerReader
        @usableFromInline var lease: RDKafkaConsumerLease?

        init(core: RDKafkaConsumerCore) { self.reader = RDKafkaConsumerReader(core: core) }

        /// Inlinable: within a batch the caller's loop does two relaxed loads, a relaxed store
        /// and a retain.
        @inlinable
        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaConsumerMessage? {
            if let message = lease?.handOutNext() { return message }
            return await nextBatch()
        }

        @usableFromInline
        nonisolated(nonsending) mutating func nextBatch() async -> KafkaConsumerMessage? {
            lease = nil
            while let next = await reader.core.nextLease(reader.id) {
                lease = next
                if let message = next.handOutNext() { return message }
            }
            lease = nil
            return nil
        }

        /// Runs on the caller's executor, like ``next(isolation:)``: no hop per message.
        @inlinable
        nonisolated(nonsending)
        public mutating func next() async -> KafkaConsumerMessage? {
            if let message = lease?.handOutNext() { return message }
            return await nextBatch()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(core: core) }
}

/// A consumer's messages in the batches librdkafka delivered them, as an `AsyncSequence`.
///
/// Shares the consumer's records with ``KafkaConsumerMessages`` (a batch a loop over messages
/// left unfinished comes first, without the records already handed out). Asking for the next
/// batch marks the previous one as processed (unless you store offsets yourself).
public struct KafkaConsumerBatches: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerBatch
    public typealias Failure = Never

    let core: RDKafkaConsumerCore

    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: RDKafkaConsumerReader

        init(core: RDKafkaConsumerCore) { self.reader = RDKafkaConsumerReader(core: core) }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaConsumerBatch? {
            while let lease = await reader.core.nextLease(reader.id) {
                let range = lease.handAll()
                if !range.isEmpty { return KafkaConsumerBatch(storage: lease.batch, range: range) }
            }
            return nil
        }

        public mutating func next() async -> KafkaConsumerBatch? {
            await next(isolation: nil)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(core: core) }
}
