import CLibrdkafka
import Dispatch
import Synchronization

/// A queue several started partitions are routed into, read together
/// (``KafkaPartitionConsumer/start(topic:partition:at:queue:)-(_,KafkaPartition,_,_)``).
///
/// Reads suspend without holding a thread while the queue is empty, independently of reads of
/// other queues and partitions.
public final class KafkaMessageQueue: Sendable {
    let waiter: RDKafkaQueueWaiter
    let consumer: KafkaPartitionConsumer
    /// Partitions routed here whose existence has not been checked: a partition the topic does
    /// not have is reported once, by the first read that has to wait.
    private let unchecked = Mutex<[RDKafkaStartedPartition]>([])

    init(waiter: RDKafkaQueueWaiter, consumer: KafkaPartitionConsumer) {
        self.waiter = waiter
        self.consumer = consumer
    }

    deinit { waiter.close() }

    func routed(_ partition: RDKafkaStartedPartition) {
        unchecked.withLock { $0.append(partition) }
    }

    /// The next message from any partition routed here, or `nil` if none came within `timeout`.
    ///
    /// - Throws: ``KafkaError`` for an error librdkafka delivers on the queue, or once for a
    ///   routed partition the topic does not have; `CancellationError` if the task is cancelled
    ///   while waiting.
    public func consume(timeout: Duration) async throws -> KafkaConsumerMessage? {
        try await consumeNoting(timeout: timeout).message
    }

    /// As ``consume(timeout:)``, and says whether the read ended at the end of a partition
    /// (with `enable.partition.eof`) rather than on its timeout.
    package func consumeNoting(timeout: Duration) async throws -> (message: KafkaConsumerMessage?, reachedEnd: Bool) {
        let collector = RDKafkaMessageCollector(capacity: 1)
        let ended = try await read(collector, until: KafkaPartitionConsumer.deadline(after: timeout)) {
            collector.isFull || collector.firstError != nil || collector.reachedEndOfPartition
        }
        try KafkaPartitionConsumer.throwIfNothing(collector, ended, closed: Self.closedError)
        return (collector.makeMessage(client: waiter.queue.client), collector.reachedEndOfPartition)
    }

    /// Up to `maxCount` messages from the partitions routed here: as many as arrive within
    /// `timeout`.
    ///
    /// - Throws: as ``consume(timeout:)``; an error message ends the batch, and is thrown only
    ///   if no message came before it.
    public func consumeBatch(maxCount: Int, timeout: Duration) async throws -> KafkaConsumerBatch {
        let collector = RDKafkaMessageCollector(capacity: maxCount)
        let ended = try await read(collector, until: KafkaPartitionConsumer.deadline(after: timeout)) {
            collector.isFull || collector.firstError != nil
        }
        try KafkaPartitionConsumer.throwIfNothing(collector, ended, closed: Self.closedError)
        return collector.makeBatch(client: waiter.queue.client)
    }

    private func read(_ collector: RDKafkaMessageCollector, until deadline: DispatchTime, done: () -> Bool) async throws -> RDKafkaQueueWake? {
        let queue = waiter.queue.handle
        return try await waiter.read(until: deadline, beforeFirstWait: { try await checkRouted(until: deadline) }) {
            guard collector.take({ rd_kafka_consume_batch_queue(queue, 0, $0, $1) }) else {
                let err = rd_kafka_last_error()
                throw KafkaError(err, message: "consuming a queue: \(KafkaError.Code(err).explanation)")
            }
            return done()
        }
    }

    /// Checks the partitions routed since the last check; throws for the first one its topic
    /// does not have. Those of topics the cluster does not know (yet) are checked again later.
    private func checkRouted(until deadline: DispatchTime) async throws {
        let partitions = unchecked.withLock { unchecked in
            defer { unchecked.removeAll() }
            return unchecked
        }
        var missing: KafkaError?
        var presence: [String: RDKafkaStartedPartition.Presence] = [:]
        for started in partitions {
            if presence[started.topic.name] == nil {
                presence[started.topic.name] = await RDKafkaStartedPartition.presence(of: started.topic, until: deadline)
            }
            guard case .partitions(let count) = presence[started.topic.name] else {
                unchecked.withLock { $0.append(started) }
                continue
            }
            if started.partition >= count, missing == nil {
                missing = .missingPartition(started.topic.name, started.partition, partitionCount: count)
            }
        }
        if let missing { throw missing }
    }

    private static var closedError: KafkaError {
        KafkaError(code: .invalidState, message: "consuming a queue: the queue was closed")
    }
}
