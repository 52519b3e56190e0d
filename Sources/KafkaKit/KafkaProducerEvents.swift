/// The events of a producer made by ``KafkaProducer/makeProducerWithEvents(configuration:logger:)``:
/// fire-and-forget delivery reports in batches, client errors, statistics.
///
/// One iterator at a time. The sequence ends when the producer has shut down and every report
/// has been read. Stopping the iteration (or cancelling its task) discards later events.
public struct KafkaProducerEvents: AsyncSequence, Sendable {
    public typealias Element = KafkaProducerEvent

    let buffer: BoundedEventBuffer<KafkaProducerEvent>

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: BoundedEventBuffer<KafkaProducerEvent>

        public mutating func next() async -> KafkaProducerEvent? {
            await buffer.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> KafkaProducerEvent? {
            await buffer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: buffer)
    }
}
