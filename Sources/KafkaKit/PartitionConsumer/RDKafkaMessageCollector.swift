import CLibrdkafka

/// Consumed messages gathered over non-blocking takes, up to a capacity, then handed over as
/// one ``KafkaConsumerBatch`` (one allocation, messages read in place) — or destroyed with the
/// collector, if it never is.
///
/// Used by one task at a time (it is not `Sendable`).
final class RDKafkaMessageCollector {
    typealias Slot = UnsafeMutablePointer<rd_kafka_message_t>?

    let capacity: Int
    private var slots: UnsafeMutableBufferPointer<Slot>
    private var handedOver = false
    /// Good messages held, in `slots[0..<count]`.
    private(set) var count = 0
    /// The first error message taken; end-of-partition markers are not errors.
    private(set) var firstError: KafkaError?
    /// Whether an end-of-partition marker (`enable.partition.eof`) was taken.
    private(set) var reachedEndOfPartition = false

    /// The most messages one read collects, whatever is asked (slots are allocated up front).
    static let maximumCapacity = 65_536

    init(capacity: Int) {
        self.capacity = min(max(1, capacity), Self.maximumCapacity)
        slots = .allocate(capacity: self.capacity)
    }

    deinit {
        guard !handedOver else { return }
        for i in 0..<count { rd_kafka_message_destroy(slots[i]) }
        slots.deallocate()
    }

    var isFull: Bool { count == capacity }

    /// Runs one non-blocking librdkafka call that fills up to `room` slots from `start` and
    /// returns how many (or -1: `false` is returned, and `rd_kafka_last_error()` says why).
    /// Keeps the good messages and destroys the others, noting the first error.
    ///
    /// Good messages below `minimumOffset` are destroyed too: see
    /// ``RDKafkaStartedPartition/minimumOffset``.
    func take(minimumOffset: Int64 = -1, _ call: (_ start: UnsafeMutablePointer<Slot>, _ room: Int) -> Int) -> Bool {
        while true {
            let before = count
            let taken = call(slots.baseAddress! + count, capacity - count)
            guard taken >= 0 else { return false }
            let dropped = keep(taken, minimumOffset: minimumOffset)
            // Only dropped messages taken: look again at once — the queue did not become empty,
            // so librdkafka will not signal it.
            guard dropped > 0, count == before, firstError == nil, !reachedEndOfPartition else { return true }
        }
    }

    /// Keeps the good messages of the `taken` slots after `count`; returns how many were
    /// dropped for lying below `minimumOffset`.
    private func keep(_ taken: Int, minimumOffset: Int64) -> Int {
        var dropped = 0
        for i in count..<(count + taken) {
            let message = slots[i]!
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR && message.pointee.offset < minimumOffset {
                rd_kafka_message_destroy(message)
                dropped += 1
                continue
            }
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                slots[count] = message
                count += 1
                continue
            }
            if err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                reachedEndOfPartition = true
            } else if firstError == nil {
                firstError = .consumed(message)
            }
            rd_kafka_message_destroy(message)
        }
        return dropped
    }

    /// The messages held, as a batch that now owns them.
    func makeBatch(client: RDKafkaClient) -> KafkaConsumerBatch {
        precondition(!handedOver, "a collector hands its messages over once")
        handedOver = true
        return KafkaConsumerBatch(storage: RDKafkaMessageBatch(messages: slots, count: count, client: client))
    }

    /// The one message held (a collector of capacity 1), as a message that now owns it.
    func makeMessage(client: RDKafkaClient) -> KafkaConsumerMessage? {
        guard count > 0 else { return nil }
        return makeBatch(client: client).first
    }
}
