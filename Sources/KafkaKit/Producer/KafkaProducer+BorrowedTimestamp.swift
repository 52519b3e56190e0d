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
}

/// A producer's handle of one topic, made once for many records
/// (``KafkaProducer/topicHandle(_:)``); keeps the producer's client alive.
package final class KafkaProducerTopicHandle: Sendable {
    let topic: RDKafkaTopic

    init(_ topic: RDKafkaTopic) { self.topic = topic }
}
