import CLibrdkafka
import Logging
import Synchronization

/// Serves the main queue of a client that nobody polls (an admin client, a partition
/// consumer) while its statistics are on: librdkafka queues a statistics document there every
/// `statistics.interval.ms` whether or not anyone reads them, so unserved, the queue would grow
/// for as long as the client lives.
///
/// librdkafka calls back (`rd_kafka_queue_cb_event_enable`, from its own thread) when the queue
/// goes from empty to non-empty; the callback schedules a drain on
/// ``RDKafkaMetrics/processingQueue``, which takes everything queued (non-blocking polls) and
/// hands statistics to the client's metrics. The rules of scheduling are
/// ``RDKafkaMainQueueDrainState``'s.
///
/// `@unchecked Sendable`: `client` is set once, in ``start(serving:)``, before the callback is
/// turned on; weak references are read atomically.
final class RDKafkaMainQueueServer: @unchecked Sendable {
    /// Weak: the server lives as long as the client's callback context, which the client owns.
    private weak var client: RDKafkaClient?
    private let metrics: RDKafkaMetrics?
    private let logger: Logger
    private let state = Mutex(RDKafkaMainQueueDrainState())

    init(metrics: RDKafkaMetrics?, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts serving `client`'s main queue. The server must outlive `rd_kafka_destroy`: the
    /// callback may run until then (the client keeps it in its callback context).
    func start(serving client: RDKafkaClient) {
        self.client = client
        rd_kafka_queue_cb_event_enable(client.mainQueue, { _, opaque in
            Unmanaged<RDKafkaMainQueueServer>.fromOpaque(opaque!).takeUnretainedValue().queueBecameNonEmpty()
        }, Unmanaged.passUnretained(self).toOpaque())
        // Anything queued before the callback was on would not call it.
        queueBecameNonEmpty()
    }

    /// librdkafka's callback, on one of its threads, with the queue locked: no librdkafka call here.
    private func queueBecameNonEmpty() {
        if state.withLock({ $0.signal() }) == .scheduleDrain {
            RDKafkaMetrics.processingQueue.async { self.drain() }
        }
    }

    private func drain() {
        repeat {
            // Gone: the client is being destroyed, and its queue with it.
            guard let client else { break }
            while let event = rd_kafka_queue_poll(client.mainQueue, 0) {
                handle(event)
                rd_kafka_event_destroy(event)
            }
        } while state.withLock({ $0.drained() }) == .drainAgain
    }

    private func handle(_ event: OpaquePointer) {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_STATS:
            if let metrics, let json = rd_kafka_event_stats(event) {
                metrics.process(RDKafkaMetrics.copy(json))
            }
        case RD_KAFKA_EVENT_ERROR:
            // Such a client reports errors through its log; one queued here is seen nowhere else.
            let error = KafkaError(rd_kafka_event_error(event), message: String(cString: rd_kafka_event_error_string(event)))
            logger.debug("Kafka client error", metadata: [KafkaLogMetadataKey.error: "\(error)"])
        default:
            break
        }
    }
}
