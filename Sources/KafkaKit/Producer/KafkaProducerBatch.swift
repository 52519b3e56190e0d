import CLibrdkafka

/// Room for up to ``capacity`` borrowed records (key and value, no headers or timestamp) that
/// ``KafkaProducer/sendBlockingWhenFull(to:partition:batch:from:to:refused:)`` hands to
/// librdkafka in one `rd_kafka_produce_batch` call: one clock read, one topic lock and one
/// look at the producer's state for all of them, instead of one per record.
///
/// Made once and filled again for each batch; the bytes it points to are the caller's and must
/// stay valid until the send returns (librdkafka copies them). Used by one thread at a time.
package final class KafkaProducerBatch {
    let messages: UnsafeMutablePointer<rd_kafka_message_t>
    /// How many records it holds at most.
    package let capacity: Int

    /// - Precondition: `capacity` > 0.
    package init(capacity: Int) {
        precondition(capacity > 0, "a batch needs room for a record")
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: rd_kafka_message_t(), count: capacity)
    }

    deinit {
        messages.deinitialize(count: capacity)
        messages.deallocate()
    }

    /// Makes record `index` point to `key` and `value` (`nil`: no key; a tombstone).
    @inline(__always)
    package func set(_ index: Int, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?) {
        precondition(index >= 0 && index < capacity, "index out of the batch")
        // An empty value or key still needs an address: NULL would mean none.
        let message = messages + index
        message.pointee.payload = value.map { UnsafeMutableRawPointer(mutating: $0.baseAddress ?? UnsafeRawPointer(emptyBytes)) }
        message.pointee.len = value?.count ?? 0
        message.pointee.key = key.map { UnsafeMutableRawPointer(mutating: $0.baseAddress ?? UnsafeRawPointer(emptyBytes)) }
        message.pointee.key_len = key?.count ?? 0
    }

    /// Record `index`'s key and value, as ``set(_:key:value:)`` left them.
    func record(_ index: Int) -> (key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?) {
        let message = messages[index]
        return (
            message.key.map { UnsafeRawBufferPointer(start: $0, count: message.key_len) },
            message.payload.map { UnsafeRawBufferPointer(start: $0, count: message.len) }
        )
    }
}
