/// A consumer's messages, one at a time, as an `AsyncSequence`.
///
/// Messages come from batches taken together: within a batch, `next()` returns without
/// suspending and without a lock, on the caller's own executor (a `for await` loop on the main
/// actor does not hop per message). One iterator at a time, for this or ``KafkaConsumerBatches``.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    public typealias Failure = Never

    let core: RDKafkaConsumerCore

    public struct AsyncIterator: AsyncIteratorProtocol {
        @usableFromInline let core: RDKafkaConsumerCore
        @usableFromInline var batch: RDKafkaMessageBatch?
        @usableFromInline var index = 0
        @usableFromInline var count = 0

        init(core: RDKafkaConsumerCore) { self.core = core }

        /// Inlinable: within a batch the caller's loop does a bounds check and a retain, no call.
        @inlinable
        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaConsumerMessage? {
            if index < count {
                defer { index += 1 }
                return KafkaConsumerMessage(batch: batch.unsafelyUnwrapped, index: index)
            }
            return await nextBatch()
        }

        @usableFromInline
        nonisolated(nonsending) mutating func nextBatch() async -> KafkaConsumerMessage? {
            batch = nil
            count = 0
            guard let next = await core.nextBatch() else { return nil }
            batch = next
            count = next.count
            index = 1
            return KafkaConsumerMessage(batch: next, index: 0)
        }

        /// Runs on the caller's executor, like ``next(isolation:)``: no hop per message.
        @inlinable
        nonisolated(nonsending)
        public mutating func next() async -> KafkaConsumerMessage? {
            if index < count {
                defer { index += 1 }
                return KafkaConsumerMessage(batch: batch.unsafelyUnwrapped, index: index)
            }
            return await nextBatch()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(core: core) }
}

/// A consumer's messages in the batches librdkafka delivered them, as an `AsyncSequence`.
public struct KafkaConsumerBatches: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerBatch
    public typealias Failure = Never

    let core: RDKafkaConsumerCore

    public struct AsyncIterator: AsyncIteratorProtocol {
        let core: RDKafkaConsumerCore

        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaConsumerBatch? {
            await core.nextBatch().map(KafkaConsumerBatch.init(storage:))
        }

        public mutating func next() async -> KafkaConsumerBatch? {
            await next(isolation: nil)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(core: core) }
}
