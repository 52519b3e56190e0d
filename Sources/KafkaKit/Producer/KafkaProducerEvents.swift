/// The events of a producer made by ``KafkaProducer/makeProducerWithEvents(configuration:logger:)``:
/// fire-and-forget delivery reports in batches, client errors, statistics.
///
/// The sequence has one reader: its first iterator. The sequence ends when the producer has
/// shut down and every buffered event has been read. Events wait for the reader in a buffer of
/// ``KafkaConfiguration/eventBufferCapacity`` reports: while it is full, fire-and-forget sends
/// wait (then fail) as on a full queue, and errors and statistics are dropped (errors are
/// still logged). Awaited sends and sends with their own receiver or handler never depend on
/// the reader.
///
/// Once the reader's iterator is gone — the loop ended by `break`, `return` or a throw, or its
/// task was cancelled — the reader has left for good: what is buffered and every later event
/// is discarded (failed deliveries are logged at `info`), nothing waits for a reader, and any
/// later iterator ends at once. The same holds once every copy of a sequence that never made
/// an iterator is dropped.
public struct KafkaProducerEvents: AsyncSequence, Sendable {
    public typealias Element = KafkaProducerEvent

    let buffer: BoundedEventBuffer<KafkaProducerEvent>
    private let lifetime: Lifetime

    init(buffer: BoundedEventBuffer<KafkaProducerEvent>) {
        self.buffer = buffer
        self.lifetime = Lifetime(buffer: buffer)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: Reader

        public mutating func next() async -> KafkaProducerEvent? {
            await reader.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaProducerEvent? {
            await reader.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(reader: Reader(buffer: buffer))
    }

    /// Shared by the copies of the sequence: a sequence dropped before any iterator was made
    /// will never be read, so its events are discarded from then on.
    private final class Lifetime: Sendable {
        let buffer: BoundedEventBuffer<KafkaProducerEvent>

        init(buffer: BoundedEventBuffer<KafkaProducerEvent>) { self.buffer = buffer }

        deinit { buffer.sequenceDropped() }
    }

    /// Shared by the copies of one iterator: the reader has gone when the last copy goes.
    final class Reader: Sendable {
        let buffer: BoundedEventBuffer<KafkaProducerEvent>
        /// Whether this is the sequence's first iterator (the only one that reads).
        let isReader: Bool

        init(buffer: BoundedEventBuffer<KafkaProducerEvent>) {
            self.buffer = buffer
            self.isReader = buffer.makeReader()
        }

        func next() async -> KafkaProducerEvent? {
            guard isReader else { return nil }
            return await buffer.next()
        }

        deinit {
            if isReader { buffer.readerGone() }
        }
    }
}
