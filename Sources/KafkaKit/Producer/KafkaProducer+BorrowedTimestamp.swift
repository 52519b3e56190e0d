extension KafkaProducer {
    /// Hands borrowed bytes to librdkafka without waiting for anything, with the record's
    /// timestamp — for tools that copy records (`kafka produce --json`). librdkafka copies key
    /// and value before returning.
    ///
    /// - Parameters:
    ///   - topic: The topic.
    ///   - partition: The partition; `nil`: the partitioner picks one.
    ///   - key: The key's bytes, borrowed for the call; `nil`: no key.
    ///   - value: The value's bytes, borrowed for the call; `nil`: a tombstone.
    ///   - timestampMilliseconds: milliseconds since the epoch; `nil`: now.
    ///   - headers: The record's headers.
    /// - Throws: ``KafkaError`` when the record was not queued; a full local queue fails at
    ///   once with ``KafkaError/Code/queueFull``.
    public func trySend(
        topic: String,
        partition: Int32? = nil,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        timestampMilliseconds: Int64?,
        headers: [KafkaHeader] = []
    ) throws(KafkaError) -> KafkaProducerMessageID {
        if core.eventBufferIsFull { throw core.eventBufferFullError(topic: topic) }
        let id = core.makeID()
        if let error = core.produce(
            topic: topic, partition: partition, key: key, value: value, timestamp: timestampMilliseconds, headers: headers,
            opaque: UnsafeMutableRawPointer(bitPattern: UInt(id.rawValue) << 1 | 1)!
        ) {
            throw error
        }
        if id.rawValue & 15 == 0 { core.serveOne(fireAndForget: id) }
        return id
    }

    /// Like ``trySend(topic:partition:key:value:timestampMilliseconds:headers:)``, but a full
    /// local queue blocks the calling thread until librdkafka has room again
    /// (`RD_KAFKA_MSG_F_BLOCK`) instead of failing. Wakes as soon as a message leaves the
    /// queue, whether or not its delivery is reported (`delivery.report.only.error`).
    ///
    /// For a thread of the caller's own (the `kafka` command's sending thread): blocking a
    /// thread of Swift's cooperative pool would stall other tasks.
    package func sendBlockingWhenFull(
        topic: String,
        partition: Int32?,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        timestampMilliseconds: Int64?,
        headers: [KafkaHeader]
    ) throws(KafkaError) -> KafkaProducerMessageID {
        if core.eventBufferIsFull { throw core.eventBufferFullError(topic: topic) }
        let id = core.makeID()
        if let error = core.produce(
            topic: topic, partition: partition, key: key, value: value, timestamp: timestampMilliseconds, headers: headers,
            opaque: UnsafeMutableRawPointer(bitPattern: UInt(id.rawValue) << 1 | 1)!, blockWhenFull: true
        ) {
            throw error
        }
        if id.rawValue & 15 == 0 { core.serveOne(fireAndForget: id) }
        return id
    }

    /// A handle of `topic` for ``sendBlockingWhenFull(to:partition:key:value:)``.
    package func topicHandle(_ topic: String) -> KafkaProducerTopicHandle {
        KafkaProducerTopicHandle(RDKafkaTopic(client: core.client, name: topic))
    }

    /// Like ``sendBlockingWhenFull(topic:partition:key:value:timestampMilliseconds:headers:)``
    /// for a record without headers or timestamp, through a topic handle made once (kcat's
    /// `rd_kafka_produce`): no lookup of the topic by name per record.
    package func sendBlockingWhenFull(
        to topic: KafkaProducerTopicHandle,
        partition: Int32?,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?
    ) throws(KafkaError) -> KafkaProducerMessageID {
        if core.eventBufferIsFull { throw core.eventBufferFullError(topic: topic.topic.name) }
        let id = core.makeID()
        if let error = core.produce(
            to: topic.topic, partition: partition, key: key, value: value,
            opaque: UnsafeMutableRawPointer(bitPattern: UInt(id.rawValue) << 1 | 1)!, blockWhenFull: true
        ) {
            throw error
        }
        if id.rawValue & 15 == 0 { core.serveOne(fireAndForget: id) }
        return id
    }

    /// Records `start..<end` of `batch` through a topic handle, handed to librdkafka in one
    /// `rd_kafka_produce_batch` call (see ``KafkaProducerBatch``). Each record gets an ID and
    /// exactly one delivery report, as with ``sendBlockingWhenFull(to:partition:key:value:)``.
    ///
    /// When librdkafka's queue is full it refuses the rest of the batch; the first record
    /// refused is then sent alone, blocking the calling thread inside librdkafka until there
    /// is room (`RD_KAFKA_MSG_F_BLOCK`), and the call returns so that the caller may look
    /// whether it still wants the others before it calls again for them. For a thread of the
    /// caller's own (see ``sendBlockingWhenFull(topic:partition:key:value:timestampMilliseconds:headers:)``).
    ///
    /// - Parameters:
    ///   - refused: Called with each record librdkafka did not queue, and why; nothing of it
    ///     was queued.
    /// - Returns: How many records were queued, and where the next call should start (`end`
    ///   when every record was handled).
    package func sendBlockingWhenFull(
        to topic: KafkaProducerTopicHandle,
        partition: Int32?,
        batch: KafkaProducerBatch,
        from start: Int,
        to end: Int,
        refused: (Int, KafkaError) -> Void
    ) -> (queued: Int, next: Int) {
        precondition(start >= 0 && start <= end && end <= batch.capacity, "records out of the batch")
        guard start < end else { return (0, end) }
        if core.eventBufferIsFull {
            let error = core.eventBufferFullError(topic: topic.topic.name)
            for index in start..<end { refused(index, error) }
            return (0, end)
        }
        let firstID = core.makeIDs(count: end - start)
        var (queued, queueFullAt) = core.produceBatch(
            to: topic.topic, partition: partition, batch: batch, from: start, to: end, firstID: firstID.rawValue, refused: refused)
        var next = end
        if let index = queueFullAt {
            let (key, value) = batch.record(index)
            let id = firstID.rawValue &+ UInt64(index - start)
            if let error = core.produce(
                to: topic.topic, partition: partition, key: key, value: value,
                opaque: UnsafeMutableRawPointer(bitPattern: UInt(id) << 1 | 1)!, blockWhenFull: true
            ) {
                refused(index, error)
            } else {
                queued += 1
            }
            next = index + 1
        }
        // As the single send serves an event every 16th record: messages freed on the thread
        // that made them, and a fast sender paced by the reports it serves.
        let lastID = KafkaProducerMessageID(rawValue: firstID.rawValue &+ UInt64(next - start - 1))
        for _ in 0..<max(1, (next - start) / 16) {
            guard core.serveOne(fireAndForget: lastID) else { break }
        }
        return (queued, next)
    }
}

/// A producer's handle of one topic, made once for many records
/// (``KafkaProducer/topicHandle(_:)``); keeps the producer's client alive.
package final class KafkaProducerTopicHandle: Sendable {
    let topic: RDKafkaTopic

    init(_ topic: RDKafkaTopic) { self.topic = topic }
}
