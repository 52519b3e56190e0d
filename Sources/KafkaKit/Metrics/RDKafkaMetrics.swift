import CLibrdkafka
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Metrics
import Synchronization

/// One client's metrics (see <doc:Metrics> for the names): made when the client is, from its
/// ``KafkaMetricsOptions``; destroyed with it.
///
/// Statistics documents are handed over by whichever thread librdkafka serves them on (a
/// producer's sender or poller, a consumer's reader) with ``submit(statistics:)``, which copies
/// the JSON and returns: decoding and updating run on one shared serial queue
/// (``processingQueue``), never on a sending or reading thread. While a document waits there,
/// a newer one replaces it (the counters are fed differences of totals, so nothing is lost).
///
/// KafkaKit's own counters are fed where things happen: ``deliveryFailed(_:count:)`` by the
/// delivery-report loop (failures only), ``queueFullWaited(eventBuffer:)`` and
/// ``queueFullTimedOut(eventBuffer:)`` by a send that meets a full queue. A client without
/// metrics has no such object, so each of those is a `nil` check.
final class RDKafkaMetrics: Sendable {
    /// Which client the metrics are of: it decides the names' prefix and which metrics exist.
    enum Kind: Sendable {
        case producer, consumer, partitionConsumer, admin

        /// The first part of every name of this client's metrics.
        var prefix: String {
            switch self {
            case .producer: "kafka.producer"
            case .consumer, .partitionConsumer: "kafka.consumer"
            case .admin: "kafka.admin"
            }
        }
    }

    /// Where every client's statistics are decoded and applied, one document at a time.
    static let processingQueue = DispatchQueue(label: "KafkaKit.metrics")

    let kind: Kind
    private let factory: any MetricsFactory
    private let logger: Logger
    /// The options' dimensions and `client.id`.
    private let clientDimensions: [(String, String)]
    private let client: ClientMetrics
    private let ownCounters: ProducerCounters?
    private let deliveryFailures = Mutex<[Int32: Counter]>([:])
    /// The newest document not yet processed, and whether processing is scheduled.
    private let pending = Mutex<(json: [UInt8]?, scheduled: Bool)>((nil, false))
    /// Only the processing queue touches it.
    private let processing = Mutex(Processing())

    private struct Processing {
        var accumulator = RDKafkaStatisticsAccumulator()
        var brokers: [String: BrokerMetrics] = [:]
        var partitions: [RDKafkaStatisticsAccumulator.PartitionKey: PartitionMetrics] = [:]
    }

    /// The metrics of a client configured with `configuration`, or `nil` when its metrics are off.
    static func make(_ configuration: KafkaConfiguration, kind: Kind, logger: Logger) -> RDKafkaMetrics? {
        guard let options = configuration.metrics else { return nil }
        return RDKafkaMetrics(options: options, clientID: configuration.clientID ?? "rdkafka", kind: kind, logger: logger)
    }

    init(options: KafkaMetricsOptions, clientID: String, kind: Kind, logger: Logger) {
        let factory = options.factory ?? MetricsSystem.factory
        let dimensions = options.dimensions + [("client.id", clientID)]
        self.kind = kind
        self.factory = factory
        self.logger = logger
        self.clientDimensions = dimensions
        self.client = ClientMetrics(kind: kind, dimensions: dimensions, factory: factory)
        self.ownCounters = kind == .producer ? ProducerCounters(dimensions: dimensions, factory: factory) : nil
    }

    deinit {
        client.destroy()
        ownCounters?.destroy()
        for counter in deliveryFailures.withLock({ $0.values }) { counter.destroy() }
        processing.withLock { state in
            for metrics in state.brokers.values { metrics.destroy() }
            for metrics in state.partitions.values { metrics.destroy() }
        }
    }

    // MARK: KafkaKit's own counters

    /// `count` deliveries failed with `code` (a librdkafka `rd_kafka_resp_err_t`).
    func deliveryFailed(_ code: Int32, count: Int) {
        let counter = deliveryFailures.withLock { counters in
            if let counter = counters[code] { return counter }
            let counter = Counter(
                label: "kafka.producer.delivery.failures",
                dimensions: clientDimensions + [("error.code", KafkaError.Code(rawValue: code).name)], factory: factory)
            counters[code] = counter
            return counter
        }
        counter.increment(by: count)
    }

    /// A send found the queue full and waits for space (once per send, however often it retries).
    /// `eventBuffer`: the full queue is the producer's unread events, not librdkafka's.
    func queueFullWaited(eventBuffer: Bool) {
        guard let ownCounters else { return }
        (eventBuffer ? ownCounters.eventBufferFullWaits : ownCounters.queueFullWaits).increment()
    }

    /// A send gave up waiting for queue space: it failed with a queue-full error.
    func queueFullTimedOut(eventBuffer: Bool) {
        guard let ownCounters else { return }
        (eventBuffer ? ownCounters.eventBufferFullTimeouts : ownCounters.queueFullTimeouts).increment()
    }

    // MARK: Statistics

    /// Takes a statistics document from librdkafka (the JSON is copied: librdkafka frees it)
    /// and has it processed on ``processingQueue``. Never waits.
    func submit(statistics json: UnsafePointer<CChar>) {
        let bytes = Self.copy(json)
        let schedule = pending.withLock { pending in
            pending.json = bytes
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        if schedule { Self.processingQueue.async { self.processPending() } }
    }

    /// The bytes of a NUL-terminated JSON document.
    static func copy(_ json: UnsafePointer<CChar>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: json, count: strlen(json)))
    }

    private func processPending() {
        while let json = pending.withLock({ pending -> [UInt8]? in
            guard let json = pending.json else {
                pending.scheduled = false
                return nil
            }
            pending.json = nil
            return json
        }) {
            process(json)
        }
    }

    /// Decodes one document and updates the metrics. On ``processingQueue`` only (documents
    /// must be applied in order).
    func process(_ json: [UInt8]) {
        let clock = ContinuousClock()
        let start = clock.now
        let statistics: RDKafkaStatistics
        do {
            statistics = try RDKafkaStatistics.decode(json)
        } catch {
            logger.debug("Kafka statistics not understood", metadata: [KafkaLogMetadataKey.error: "\(error)"])
            return
        }
        processing.withLock { state in
            apply(state.accumulator.update(with: statistics), to: &state)
        }
        let elapsed = (clock.now - start).components
        client.processingTime.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }

    private func apply(_ update: RDKafkaStatisticsAccumulator.Update, to state: inout Processing) {
        client.apply(update)
        for name in update.brokersGone { state.brokers.removeValue(forKey: name)?.destroy() }
        for name in update.brokersAppeared {
            state.brokers[name] = BrokerMetrics(prefix: kind.prefix, dimensions: clientDimensions + [("broker", name)], factory: factory)
        }
        for sample in update.brokers { state.brokers[sample.name]?.record(sample) }
        for key in update.partitionsGone { state.partitions.removeValue(forKey: key)?.destroy() }
        for key in update.partitionsAppeared {
            state.partitions[key] = PartitionMetrics(
                dimensions: clientDimensions + [("topic", key.topic), ("partition", String(key.partition))], factory: factory)
        }
        for sample in update.partitions { state.partitions[sample.key]?.record(sample) }
    }
}

// MARK: The metric objects

/// Seconds from librdkafka's microseconds.
private func seconds(_ microseconds: Int64) -> Double { Double(microseconds) / 1_000_000 }

/// The metrics of the client as a whole.
private struct ClientMetrics: Sendable {
    let messagesSent: Counter?
    let messageBytesSent: Counter?
    let messagesReceived: Counter?
    let messageBytesReceived: Counter?
    let queuedMessages: Gauge?
    let queuedBytes: Gauge?
    let requestErrors: Counter
    let requestTimeouts: Counter
    let replyQueue: Gauge
    let rebalances: Counter?
    let assignedPartitions: Gauge?
    /// How long KafkaKit took to decode a document and update the metrics from it.
    let processingTime: Timer

    init(kind: RDKafkaMetrics.Kind, dimensions: [(String, String)], factory: any MetricsFactory) {
        let prefix = kind.prefix
        func counter(_ name: String) -> Counter { Counter(label: "\(prefix).\(name)", dimensions: dimensions, factory: factory) }
        func gauge(_ name: String) -> Gauge { Gauge(label: "\(prefix).\(name)", dimensions: dimensions, factory: factory) }
        let producer = kind == .producer
        let consumer = kind == .consumer || kind == .partitionConsumer
        messagesSent = producer ? counter("messages.sent") : nil
        messageBytesSent = producer ? counter("bytes.sent") : nil
        queuedMessages = producer ? gauge("queue.messages") : nil
        queuedBytes = producer ? gauge("queue.bytes") : nil
        messagesReceived = consumer ? counter("messages.received") : nil
        messageBytesReceived = consumer ? counter("bytes.received") : nil
        requestErrors = counter("request.errors")
        requestTimeouts = counter("request.timeouts")
        replyQueue = gauge("reply.queue")
        rebalances = kind == .consumer ? counter("group.rebalances") : nil
        assignedPartitions = kind == .consumer ? gauge("group.assignment.partitions") : nil
        processingTime = Timer(label: "\(prefix).statistics.processing", dimensions: dimensions, factory: factory)
    }

    func apply(_ update: RDKafkaStatisticsAccumulator.Update) {
        func add(_ counter: Counter?, _ amount: Int64) { if amount > 0 { counter?.increment(by: amount) } }
        add(messagesSent, update.messagesSent)
        add(messageBytesSent, update.messageBytesSent)
        add(messagesReceived, update.messagesReceived)
        add(messageBytesReceived, update.messageBytesReceived)
        add(requestErrors, update.requestErrors)
        add(requestTimeouts, update.requestTimeouts)
        add(rebalances, update.rebalances)
        queuedMessages?.record(update.queuedMessages)
        queuedBytes?.record(update.queuedBytes)
        replyQueue.record(update.replyQueue)
        if let assigned = update.assignedPartitions { assignedPartitions?.record(assigned) }
    }

    func destroy() {
        for counter in [messagesSent, messageBytesSent, messagesReceived, messageBytesReceived, requestErrors, requestTimeouts, rebalances] {
            counter?.destroy()
        }
        for gauge in [queuedMessages, queuedBytes, replyQueue, assignedPartitions] { gauge?.destroy() }
        processingTime.destroy()
    }
}

/// A producer's counters fed on the sending path.
private struct ProducerCounters: Sendable {
    let queueFullWaits: Counter
    let eventBufferFullWaits: Counter
    let queueFullTimeouts: Counter
    let eventBufferFullTimeouts: Counter

    init(dimensions: [(String, String)], factory: any MetricsFactory) {
        func counter(_ name: String, _ queue: String) -> Counter {
            Counter(label: "kafka.producer.\(name)", dimensions: dimensions + [("queue", queue)], factory: factory)
        }
        queueFullWaits = counter("queue.full.waits", "local")
        eventBufferFullWaits = counter("queue.full.waits", "events")
        queueFullTimeouts = counter("queue.full.timeouts", "local")
        eventBufferFullTimeouts = counter("queue.full.timeouts", "events")
    }

    func destroy() {
        for counter in [queueFullWaits, eventBufferFullWaits, queueFullTimeouts, eventBufferFullTimeouts] { counter.destroy() }
    }
}

/// One broker's gauges.
private struct BrokerMetrics: Sendable {
    let rttAverage: Gauge
    let rttP99: Gauge
    let outbufLatencyAverage: Gauge
    let outbufLatencyP99: Gauge
    let state: Gauge

    init(prefix: String, dimensions: [(String, String)], factory: any MetricsFactory) {
        func gauge(_ name: String) -> Gauge { Gauge(label: "\(prefix).broker.\(name)", dimensions: dimensions, factory: factory) }
        rttAverage = gauge("rtt.avg")
        rttP99 = gauge("rtt.p99")
        outbufLatencyAverage = gauge("outbuf.latency.avg")
        outbufLatencyP99 = gauge("outbuf.latency.p99")
        state = gauge("state")
    }

    func record(_ sample: RDKafkaStatisticsAccumulator.BrokerSample) {
        rttAverage.record(seconds(sample.rttAverage))
        rttP99.record(seconds(sample.rttP99))
        outbufLatencyAverage.record(seconds(sample.outbufLatencyAverage))
        outbufLatencyP99.record(seconds(sample.outbufLatencyP99))
        state.record(sample.state)
    }

    func destroy() {
        for gauge in [rttAverage, rttP99, outbufLatencyAverage, outbufLatencyP99, state] { gauge.destroy() }
    }
}

/// One consumed partition's gauges.
private struct PartitionMetrics: Sendable {
    let lag: Gauge
    let storedLag: Gauge
    let fetchQueueMessages: Gauge
    let fetchQueueBytes: Gauge

    init(dimensions: [(String, String)], factory: any MetricsFactory) {
        func gauge(_ name: String) -> Gauge { Gauge(label: "kafka.consumer.\(name)", dimensions: dimensions, factory: factory) }
        lag = gauge("lag")
        storedLag = gauge("lag.stored")
        fetchQueueMessages = gauge("fetch.queue.messages")
        fetchQueueBytes = gauge("fetch.queue.bytes")
    }

    func record(_ sample: RDKafkaStatisticsAccumulator.PartitionSample) {
        if let lag = sample.lag { self.lag.record(lag) }
        if let storedLag = sample.storedLag { self.storedLag.record(storedLag) }
        fetchQueueMessages.record(sample.fetchQueueMessages)
        fetchQueueBytes.record(sample.fetchQueueBytes)
    }

    func destroy() {
        for gauge in [lag, storedLag, fetchQueueMessages, fetchQueueBytes] { gauge.destroy() }
    }
}
