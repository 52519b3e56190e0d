import CLibrdkafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// The machinery behind ``KafkaProducer``: produces through `rd_kafka_produceva`, and serves
/// librdkafka's main queue (delivery-report batches, errors, log lines, statistics).
///
/// Two threads serve the queue, one at a time (the `serving` flag), so events are handled in
/// librdkafka's order:
/// - the sending thread, after each send, takes at most one pending event if the lock is free
///   (as a C producer calls `rd_kafka_poll(rk, 0)` after each produce). Messages are then
///   freed on the thread that allocated them — no malloc-arena contention between threads —
///   and a fast sender is paced by the reports it serves instead of filling the queue.
/// - the poller thread sleeps in `poll(2)` on a pipe that librdkafka writes to the moment the
///   queue goes from empty to non-empty (`rd_kafka_queue_io_event_enable`), then drains the
///   queue, so reports are served whether or not anyone sends. While a fire-and-forget sender
///   is busy, the poller leaves the events to it and looks again each millisecond; otherwise it
///   sleeps until librdkafka (or a queue-full waiter's deadline) wakes it.
///
/// Each message carries a tagged `msg_opaque`: an odd value is `id << 1 | 1` for a
/// fire-and-forget send; an even one is a retained ``KafkaDeliveryReceiver`` (an awaited send, or a send with its own handler),
/// released when its report arrives. Either way every message gets exactly one report.
final class RDKafkaProducerCore: Sendable {
    let client: RDKafkaClient
    let logger: Logger
    let configuration: KafkaConfiguration
    /// Where fire-and-forget reports, errors and statistics go; `nil` for a producer made
    /// without an event sequence.
    let events: BoundedEventBuffer<KafkaProducerEvent>?
    /// Called with each event instead, on the thread that serves it; `nil` unless given.
    let eventHandler: (@Sendable (KafkaProducerEvent) -> Void)?
    /// Whether fire-and-forget reports are wanted at all (else only failures are logged).
    private let wantsReports: Bool

    private let nextID = Atomic<UInt64>(1)
    private let deliveredCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let purgedCount = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// Sends between their look at `stopping` and librdkafka's answer. Shutdown's poller waits
    /// for it to reach 0, so that a send which passed the look just before shutdown still has
    /// its message served (or purged and reported) — never queued after the poller left.
    private let producing = Atomic<Int>(0)
    private let hasQueueFullWaiters = Atomic<Bool>(false)
    private let queueFullWaiters = Mutex(QueueFullWaiters())
    private let pollerFinished = DispatchSemaphore(value: 0)
    /// Set while a thread takes an event from librdkafka and handles it. An atomic flag, not a
    /// `Mutex`: a failed try-lock of a `Mutex` is a system call on Linux (PI futex), and the
    /// sender tries on every send.
    private let serving = Atomic<Bool>(false)
    /// The ID of the latest fire-and-forget send: when it moves, a sender is active and the
    /// poller defers to it (see `pollLoop`). A plain store per send, not a read-modify-write.
    private let sendActivity = Atomic<UInt64>(0)
    /// What the poller sleeps on: written when the main queue becomes non-empty, or by us.
    private let wakePipe: RDKafkaWakePipe

    private struct QueueFullWaiters {
        var nextToken = 0
        var waiting: [Int: (deadline: DispatchTime, continuation: CheckedContinuation<Bool, Never>)] = [:]
    }

    init(
        configuration: KafkaConfiguration,
        logger: Logger,
        withEvents: Bool,
        eventHandler: (@Sendable (KafkaProducerEvent) -> Void)? = nil
    ) throws(KafkaError) {
        var eventTypes = RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG
        if withEvents || eventHandler != nil { eventTypes |= RD_KAFKA_EVENT_STATS }
        self.client = try RDKafkaClient(
            type: RD_KAFKA_PRODUCER, configuration: configuration, events: eventTypes, logger: logger)
        self.logger = logger
        self.configuration = configuration
        self.events = withEvents ? BoundedEventBuffer(capacity: configuration.eventBufferCapacity) : nil
        self.eventHandler = eventHandler
        self.wantsReports = withEvents || eventHandler != nil
        self.wakePipe = try RDKafkaWakePipe(queue: RDKafkaQueue(client: client, handle: rd_kafka_queue_get_main(client.handle)))
    }

    /// Makes the poller look again at its deadlines (and at `stopping`).
    private func wakePoller() { wakePipe.wake() }

    /// Starts the poller thread. It holds the core until ``stop()`` has drained everything.
    func start() {
        let thread = Thread { [self] in
            pollLoop()
            pollerFinished.signal()
        }
        thread.name = "KafkaKit.producer"
        thread.start()
    }

    func makeID() -> KafkaProducerMessageID {
        KafkaProducerMessageID(rawValue: nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    var delivered: Int { deliveredCount.load(ordering: .relaxed) }
    var failed: Int { failedCount.load(ordering: .relaxed) }
    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    // MARK: Producing

    /// Hands one record to librdkafka. `nil` on success; on failure nothing was queued and the
    /// caller still owns `opaque`.
    func produce(_ record: KafkaProducerRecord, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        withOptionalBytes(record.key) { key, keySize in
            withOptionalBytes(record.value) { value, valueSize in
                produce(
                    topic: record.topic, partition: record.partition,
                    key: key.map { UnsafeRawBufferPointer(start: $0, count: keySize) },
                    value: value.map { UnsafeRawBufferPointer(start: $0, count: valueSize) },
                    timestamp: record.timestamp.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) },
                    headers: record.headers, opaque: opaque)
            }
        }
    }

    /// Hands borrowed bytes to librdkafka, which copies them (`RD_KAFKA_MSG_F_COPY`).
    func produce(
        topic: String,
        partition: Int32?,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        timestamp: Int64?,
        headers recordHeaders: [KafkaHeader],
        opaque: UnsafeMutableRawPointer
    ) -> KafkaError? {
        // Sequentially consistent with shutdown's store of `stopping` and the poller's read of
        // `producing`: either this send sees the stop, or the poller sees this send.
        producing.add(1, ordering: .sequentiallyConsistent)
        defer { producing.subtract(1, ordering: .sequentiallyConsistent) }
        if stopping.load(ordering: .sequentiallyConsistent) {
            return KafkaError(code: .destroyed, message: "the producer is shut down", topic: topic)
        }
        var headers: OpaquePointer? = nil
        if !recordHeaders.isEmpty {
            headers = rd_kafka_headers_new(recordHeaders.count)
            for header in recordHeaders {
                var name = header.key
                name.withUTF8 { name in
                    withOptionalBytes(header.value) { value, size in
                        _ = rd_kafka_header_add(headers, name.baseAddress, name.count, value, size)
                    }
                }
            }
        }
        let error: OpaquePointer? = topic.withCString { topic in
            // topic, partition, flags, opaque, value, key, timestamp, headers
            withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { vus in
                var n = 0
                func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                    var vu = rd_kafka_vu_t()
                    vu.vtype = type
                    fill(&vu)
                    vus.initializeElement(at: n, to: vu)
                    n += 1
                }
                add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
                add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition ?? RD_KAFKA_PARTITION_UA }
                add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
                if let value {
                    // An empty value still needs an address: NULL would mean "no value".
                    let address = value.baseAddress ?? UnsafeRawPointer(emptyBytes)
                    add(RD_KAFKA_VTYPE_VALUE) { $0.u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: address), size: value.count) }
                }
                if let key {
                    let address = key.baseAddress ?? UnsafeRawPointer(emptyBytes)
                    add(RD_KAFKA_VTYPE_KEY) { $0.u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: address), size: key.count) }
                }
                if let timestamp {
                    add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp }
                }
                if let headers {
                    add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers }
                }
                defer { vus.baseAddress!.deinitialize(count: n) }
                return rd_kafka_produceva(client.handle, vus.baseAddress, n)
            }
        }
        guard let error else { return nil }
        if let headers { rd_kafka_headers_destroy(headers) }  // owned by the message only on success
        var kafkaError = KafkaError(consuming: error)
        kafkaError.topic = topic
        if kafkaError.code == .messageSizeTooLarge {
            let size = (value?.count ?? 0) + (key?.count ?? 0)
            kafkaError.message = "message of \(size) bytes is larger than message.max.bytes (\(kafkaError.message))"
            kafkaError.property = "message.max.bytes"
        }
        return kafkaError
    }

    /// Waits until delivery reports have drained some of the local queue (`true`), or until
    /// `deadline` or shutdown (`false`).
    func waitForQueueSpace(until deadline: DispatchTime) async -> Bool {
        await withCheckedContinuation { continuation in
            let registered = queueFullWaiters.withLock { waiters -> Bool in
                if isStopping { return false }
                waiters.nextToken += 1
                waiters.waiting[waiters.nextToken] = (deadline, continuation)
                hasQueueFullWaiters.store(true, ordering: .releasing)
                return true
            }
            if registered {
                wakePoller()  // so the poller takes the new deadline into account
            } else {
                continuation.resume(returning: false)
            }
        }
    }

    private func resumeQueueFullWaiters(now: DispatchTime?) {
        guard hasQueueFullWaiters.load(ordering: .acquiring) else { return }
        let resumed = queueFullWaiters.withLock { waiters -> [(CheckedContinuation<Bool, Never>, Bool)] in
            var resumed: [(CheckedContinuation<Bool, Never>, Bool)] = []
            for (token, waiter) in waiters.waiting {
                if let now {
                    guard waiter.deadline <= now else { continue }
                    resumed.append((waiter.continuation, false))
                } else {
                    resumed.append((waiter.continuation, !isStopping))
                }
                waiters.waiting[token] = nil
            }
            hasQueueFullWaiters.store(!waiters.waiting.isEmpty, ordering: .releasing)
            return resumed
        }
        for (continuation, drained) in resumed { continuation.resume(returning: drained) }
    }

    private func nextPollTimeout() -> Int32 {
        guard hasQueueFullWaiters.load(ordering: .acquiring) else { return 1000 }
        let nearest = queueFullWaiters.withLock { $0.waiting.values.map(\.deadline).min() }
        guard let nearest else { return 1000 }
        let now = DispatchTime.now()
        if nearest <= now { return 0 }
        return Int32(min(1000, (nearest.uptimeNanoseconds - now.uptimeNanoseconds) / 1_000_000 + 1))
    }

    // MARK: The poller

    private func pollLoop() {
        var lastActivity = sendActivity.load(ordering: .relaxed)
        var deferring = false
        while true {
            // While a fire-and-forget sender is busy it serves the events itself (see
            // `serveOne`), so that messages are freed on the thread that allocated them; the
            // poller looks again every millisecond and takes over once the sender pauses.
            wakePipe.wait(milliseconds: deferring ? 1 : isStopping ? 100 : nextPollTimeout())
            // Read after waking: shutdown's wake-up must be acted on now, not after another
            // (100 ms) wait.
            let stop = isStopping
            let activity = sendActivity.load(ordering: .relaxed)
            if !stop, activity != lastActivity, !(events?.isFull ?? false) {
                lastActivity = activity
                deferring = true
                resumeQueueFullWaiters(now: .now())
                continue
            }
            // A sender serving an event (a batch of reports, each perhaps with a handler of
            // its own) holds the flag: look again in a millisecond rather than spin for it.
            deferring = !serveAll()
            resumeQueueFullWaiters(now: .now())
            if deferring { continue }
            if stop {
                // Leave only when librdkafka holds nothing: a send that raced with shutdown
                // still gets its report (purged at once, as shutdown has passed its flush).
                if producing.load(ordering: .sequentiallyConsistent) == 0, rd_kafka_outq_len(client.handle) == 0 { break }
                purge(includingInFlight: true)
                deferring = true  // look again soon: a send in progress finishes within microseconds
            }
        }
        resumeQueueFullWaiters(now: nil)
        events?.finish()
    }

    /// Poller side: handles every pending event, waiting for a slow reader if need be.
    /// Returns `false`, having done nothing, if a sender is serving an event.
    private func serveAll() -> Bool {
        guard serving.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { serving.store(false, ordering: .releasing) }
        while let event = rd_kafka_queue_poll(client.mainQueue, 0) {
            handle(event, mayWait: true)
            rd_kafka_event_destroy(event)
            resumeQueueFullWaiters(now: nil)
        }
        return true
    }

    /// Sender side: handles at most one pending event, only if the poller is not serving and
    /// the event buffer has room — a sender never waits here.
    @inline(__always)
    func serveOne(fireAndForget id: KafkaProducerMessageID?) {
        if let id { sendActivity.store(id.rawValue, ordering: .relaxed) }
        if let events, events.isFull { return }
        guard serving.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        let event = rd_kafka_queue_poll(client.mainQueue, 0)
        if let event {
            handle(event, mayWait: false)
            rd_kafka_event_destroy(event)
        }
        serving.store(false, ordering: .releasing)
        if event != nil { resumeQueueFullWaiters(now: nil) }
    }

    private func handle(_ event: OpaquePointer, mayWait: Bool) {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_DR:
            handleDeliveryReports(event, mayWait: mayWait)
        case RD_KAFKA_EVENT_LOG:
            var facility: UnsafePointer<CChar>? = nil
            var text: UnsafePointer<CChar>? = nil
            var level: Int32 = 0
            guard rd_kafka_event_log(event, &facility, &text, &level) == 0 else { return }
            logger.logLibrdkafka(level: level, facility: facility, text: text)
        case RD_KAFKA_EVENT_ERROR:
            var error = KafkaError(rd_kafka_event_error(event), message: String(cString: rd_kafka_event_error_string(event)))
            if rd_kafka_event_error_is_fatal(event) != 0 {
                error = client.fatalError() ?? error
                error.isFatal = true
            }
            logger.error("Kafka client error", metadata: ["kafka.error": "\(error)"])
            publish(.error(error), mayWait: mayWait)
        case RD_KAFKA_EVENT_STATS:
            if let json = rd_kafka_event_stats(event) { publish(.statistics(String(cString: json)), mayWait: mayWait) }
        default:
            break
        }
    }

    private func publish(_ event: KafkaProducerEvent, mayWait: Bool) {
        if let eventHandler {
            eventHandler(event)
            return
        }
        guard let events else { return }
        let weight = if case .deliveryReports(let reports) = event { reports.count } else { 1 }
        // A sender only serves when the buffer had room, so it may overshoot by one batch.
        let deadline: DispatchTime = mayWait ? .now() + .milliseconds(100) : .distantFuture
        while !events.push(event, weight: weight, waitingUntil: deadline, force: !mayWait) {
            // The reader is slow: keep queue-full waiters' deadlines while we wait for it.
            resumeQueueFullWaiters(now: .now())
        }
    }

    private func handleDeliveryReports(_ event: OpaquePointer, mayWait: Bool) {
        let total = rd_kafka_event_message_count(event)
        var reports: [KafkaDeliveryReport] = []
        if wantsReports { reports.reserveCapacity(total) }
        var delivered = 0
        var failed = 0
        var purged = 0
        // Reports of one event usually share a topic: convert its name once.
        var lastTopicHandle: OpaquePointer? = nil
        var lastTopicName = ""
        withUnsafeTemporaryAllocation(of: UnsafePointer<rd_kafka_message_t>?.self, capacity: 256) { batch in
            while true {
                let count = rd_kafka_event_message_array(event, batch.baseAddress, batch.count)
                if count == 0 { break }
                for i in 0..<count {
                    let message = batch[i]!
                    let err = message.pointee.err
                    if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                        delivered += 1
                    } else {
                        failed += 1
                        if err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT { purged += 1 }
                    }
                    let opaque = UInt(bitPattern: message.pointee._private)
                    if opaque & 1 == 1, !wantsReports, err == RD_KAFKA_RESP_ERR_NO_ERROR { continue }
                    if message.pointee.rkt != lastTopicHandle {
                        lastTopicHandle = message.pointee.rkt
                        lastTopicName = String(cString: rd_kafka_topic_name(message.pointee.rkt))
                    }
                    if opaque & 1 == 1 {
                        let report = makeReport(message, id: UInt64(opaque >> 1), topic: lastTopicName)
                        if wantsReports {
                            reports.append(report)
                        } else if let error = report.error {
                            logger.error(
                                "Kafka message not delivered",
                                metadata: ["kafka.message.id": "\(report.id)", "kafka.error": "\(error)"]
                            )
                        }
                    } else if let pointer = message.pointee._private {
                        let receiver = Unmanaged<KafkaDeliveryReceiver>.fromOpaque(pointer).takeRetainedValue()
                        let report = makeReport(message, id: receiver.messageID.rawValue, topic: lastTopicName)
                        receiver.inFlight.store(false, ordering: .releasing)
                        receiver.received(report)
                    }
                }
            }
        }
        if delivered > 0 { deliveredCount.add(delivered, ordering: .relaxed) }
        if failed > 0 { failedCount.add(failed, ordering: .relaxed) }
        if purged > 0 { purgedCount.add(purged, ordering: .relaxed) }
        if !reports.isEmpty { publish(.deliveryReports(reports), mayWait: mayWait) }
    }

    private func makeReport(_ message: UnsafePointer<rd_kafka_message_t>, id: UInt64, topic: String) -> KafkaDeliveryReport {
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(message, &timestampType)
        let err = message.pointee.err
        return KafkaDeliveryReport(
            id: KafkaProducerMessageID(rawValue: id),
            topic: topic,
            partition: message.pointee.partition,
            offset: message.pointee.offset,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ms,
            errorCode: KafkaError.Code(err)
        )
    }

    // MARK: Flush, purge, stop

    /// Blocks until every message has its report, or the timeout; `true` if all have.
    func flushBlocking(timeout: Duration) -> Bool {
        rd_kafka_flush(client.handle, timeout.timeoutMilliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    func purge(includingInFlight: Bool) {
        var flags = RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING
        if includingInFlight { flags |= RD_KAFKA_PURGE_F_INFLIGHT }
        _ = rd_kafka_purge(client.handle, flags)
    }

    var outputQueueLength: Int { Int(rd_kafka_outq_len(client.handle)) }

    /// Flushes for up to `timeout`, purges what is left (each purged message gets a report
    /// saying so), waits for every report to be served, then stops the poller. Blocking.
    /// Returns how many messages were purged.
    func stopBlocking(timeout: Duration) -> Int {
        let purgedBefore = purgedCount.load(ordering: .relaxed)
        if !flushBlocking(timeout: timeout) {
            purge(includingInFlight: true)
        }
        if stopping.exchange(true, ordering: .sequentiallyConsistent) == false {
            wakePoller()
            pollerFinished.wait()
        }
        return purgedCount.load(ordering: .relaxed) - purgedBefore
    }
}

/// A send's own completion — an awaited send's continuation, or a per-message closure.
final class RDKafkaDeliveryWaiter: KafkaDeliveryReceiver, @unchecked Sendable {
    private let completion: @Sendable (KafkaDeliveryReport) -> Void

    init(completion: @escaping @Sendable (KafkaDeliveryReport) -> Void) {
        self.completion = completion
    }

    override func received(_ report: KafkaDeliveryReport) {
        completion(report)
    }
}

@inline(__always)
func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBufferPointer { buffer in
        // An empty array has no storage address; librdkafka needs a non-NULL pointer to tell
        // an empty value from no value.
        body(UnsafeRawPointer(buffer.baseAddress) ?? UnsafeRawPointer(emptyBytes), buffer.count)
    }
}

/// A valid address for zero-length values (never written, never freed).
nonisolated(unsafe) private let emptyBytes = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
