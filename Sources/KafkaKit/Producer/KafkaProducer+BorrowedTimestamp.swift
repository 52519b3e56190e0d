extension KafkaProducer {
    /// Hands borrowed bytes to librdkafka without waiting for anything, with the record's
    /// timestamp — for tools that copy records (`kafka produce --json`). librdkafka copies key
    /// and value before returning.
    ///
    /// - Parameter timestampMilliseconds: milliseconds since the epoch; `nil`: now.
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
}
