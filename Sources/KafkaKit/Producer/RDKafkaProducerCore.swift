import CLibrdkafka
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
/// The lifecycle — running, flushing, draining, stopped — and the sends waiting for queue
/// space are ``ProducerStateMachine``'s rules, kept by ``RDKafkaProducerLifecycle``. The
/// poller never waits for the event sequence's reader (see ``EventBufferStateMachine``), so
/// awaited sends and receivers get their reports, and shutdown returns, whoever reads.
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
    /// Released once the poller stopped (no event is served after it): a handler that
    /// captured what holds the producer would otherwise keep it, and its librdkafka handle,
    /// for the life of the process.
    private let eventHandler: Mutex<(@Sendable (KafkaProducerEvent) -> Void)?>
    /// Whether fire-and-forget reports are wanted at all (else only failures are logged).
    private let wantsReports: Bool
    /// Metrics fed from statistics and delivery failures; `nil` when off.
    let metrics: RDKafkaMetrics?

    private let nextID = Atomic<UInt64>(1)
    private let deliveredCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let purgedCount = Atomic<Int>(0)
    /// Sends between their look at ``RDKafkaProducerLifecycle/acceptsSends`` and librdkafka's
    /// answer. The draining poller waits for it to reach 0, so that a send which passed the
    /// look just before shutdown still has its message served (or purged and reported) —
    /// never queued after the poller left.
    private let producing = Atomic<Int>(0)
    let lifecycle: RDKafkaProducerLifecycle
    /// The transaction rules (``ProducerTransactionStateMachine``); a producer without
    /// `transactional.id` only answers its calls with an error.
    let transactions: RDKafkaProducerTransactions
    /// `transactions.isTransactional`, kept here so that a send of a producer without
    /// `transactional.id` pays one load and branch on its own object.
    private let isTransactional: Bool
    /// Set while a thread takes an event from librdkafka and handles it. An atomic flag, not a
    /// `Mutex`: a failed try-lock of a `Mutex` is a system call on Linux (PI futex), and the
    /// sender tries on every send.
    private let serving = Atomic<Bool>(false)
    /// The ID of the latest fire-and-forget send: when it moves, a sender is active and the
    /// poller defers to it (see `pollLoop`). A plain store per send, not a read-modify-write.
    private let sendActivity = Atomic<UInt64>(0)
    /// What the poller sleeps on: written when the main queue becomes non-empty, or by us.
    private let wakePipe: RDKafkaWakePipe
    /// Topics given a configuration of their own (``KafkaProducer/configureTopic(_:properties:)``);
    /// held so that librdkafka keeps using their handles.
    let configuredTopics = Mutex<[String: RDKafkaTopic]>([:])
    /// Trace context and send spans (``KafkaConfiguration/tracing``); `nil` when tracing is off.
    let tracing: RDKafkaProducerTracing?

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
        let wakePipe = try RDKafkaWakePipe(queue: RDKafkaQueue(client: client, handle: rd_kafka_queue_get_main(client.handle)))
        let lifecycle = RDKafkaProducerLifecycle(wakePipe: wakePipe)
        self.wakePipe = wakePipe
        self.lifecycle = lifecycle
        self.transactions = RDKafkaProducerTransactions(
            transactionalID: configuration.properties["transactional.id"].flatMap { $0.isEmpty ? nil : $0 })
        self.isTransactional = transactions.isTransactional
        self.events = withEvents
            // Weak: the event sequence may outlive the producer, and must not keep its client.
            ? BoundedEventBuffer(capacity: configuration.eventBufferCapacity, onSpace: { [weak lifecycle] in lifecycle?.queueSpaceFreed() })
            : nil
        self.eventHandler = Mutex(eventHandler)
        self.wantsReports = withEvents || eventHandler != nil
        self.tracing = configuration.tracing.map { RDKafkaProducerTracing(options: $0, clientID: configuration.clientID) }
        self.metrics = RDKafkaMetrics.make(configuration, kind: .producer, logger: logger)
    }

    /// Starts the poller thread. It holds the core (through `PollerHold`) until it has drained
    /// everything at shutdown, and lets go before ``stopBlocking(timeout:)`` returns.
    func start() {
        let stopped = lifecycle.pollerRunning
        stopped.enter()
        let hold = PollerHold(self)
        let thread = Thread {
            hold.run()
            stopped.leave()
        }
        thread.name = "KafkaKit.producer"
        thread.start()
    }

    func makeID() -> KafkaProducerMessageID {
        KafkaProducerMessageID(rawValue: nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    /// `count` consecutive IDs, the first returned.
    func makeIDs(count: Int) -> KafkaProducerMessageID {
        KafkaProducerMessageID(rawValue: nextID.wrappingAdd(UInt64(count), ordering: .relaxed).oldValue)
    }

    var delivered: Int { deliveredCount.load(ordering: .relaxed) }
    var failed: Int { failedCount.load(ordering: .relaxed) }
    var isStopping: Bool { !lifecycle.acceptsSends }

    /// Whether fire-and-forget sends are refused because the event buffer is full (a
    /// lock-free read; see ``EventBufferStateMachine``).
    @inline(__always)
    var eventBufferIsFull: Bool { events?.isFull ?? false }

    /// Why a fire-and-forget send is refused while the event buffer is full (or, as for every
    /// send, that the producer is shut down).
    func eventBufferFullError(topic: String) -> KafkaError {
        if isStopping { return KafkaError(code: .destroyed, message: "the producer is shut down", topic: topic) }
        var error = KafkaError(
            code: .queueFull,
            message: "the producer's event buffer is full: KafkaProducerEvents is not read fast enough",
            topic: topic)
        error.property = "eventBufferCapacity"
        return error
    }

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

    /// Hands borrowed bytes to librdkafka, which copies them (`RD_KAFKA_MSG_F_COPY`). With
    /// `blockWhenFull` a full queue blocks the calling thread until there is room
    /// (`RD_KAFKA_MSG_F_BLOCK`): only for threads of their own, never the cooperative pool.
    func produce(
        topic: String,
        partition: Int32?,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        timestamp: Int64?,
        headers recordHeaders: [KafkaHeader],
        opaque givenOpaque: UnsafeMutableRawPointer,
        blockWhenFull: Bool = false
    ) -> KafkaError? {
        // Sequentially consistent with shutdown's store of `acceptsSends` and the poller's read
        // of `producing`: either this send sees the stop, or the poller sees this send.
        producing.add(1, ordering: .sequentiallyConsistent)
        defer { producing.subtract(1, ordering: .sequentiallyConsistent) }
        if !lifecycle.acceptsSends {
            return KafkaError(code: .destroyed, message: "the producer is shut down", topic: topic)
        }
        // Checked before librdkafka, whose refusal (`_STATE`, "Operation not valid in state
        // Ready") does not say what to do; a producer without transactional.id pays one branch.
        if isTransactional, !transactions.acceptsSends {
            return transactions.sendRefusal(topic: topic)
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
        var opaque = givenOpaque
        if let tracing {
            opaque = tracing.beginSend(topic: topic, partition: partition, key: key, valueSize: value?.count, headers: &headers, opaque: givenOpaque)
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
                add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY | (blockWhenFull ? RD_KAFKA_MSG_F_BLOCK : 0) }
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
        if isTransactional, kafkaError.code == .invalidState {
            // Inside a transaction, librdkafka failed it (a record or request of it failed: an
            // abortable error); the machine moves to needsAbort and says to abort. Else the
            // send raced a commit or abort.
            kafkaError = transactions.librdkafkaRefusedSend(kafkaError, topic: topic)
        }
        kafkaError.message += KafkaError.topicNameReason(kafkaError.code, topic: topic)
        explainSizeRefusal(&kafkaError, size: (value?.count ?? 0) + (key?.count ?? 0))
        tracing?.sendRefused(opaque, error: kafkaError)
        return kafkaError
    }

    /// A record without headers or timestamp through a topic handle made once
    /// (`rd_kafka_produce`, as kcat sends): no lookup of the topic by name, no argument list
    /// per record. Otherwise as ``produce(topic:partition:key:value:timestamp:headers:opaque:blockWhenFull:)``.
    func produce(
        to topic: RDKafkaTopic,
        partition: Int32?,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        opaque: UnsafeMutableRawPointer,
        blockWhenFull: Bool
    ) -> KafkaError? {
        producing.add(1, ordering: .sequentiallyConsistent)
        defer { producing.subtract(1, ordering: .sequentiallyConsistent) }
        if !lifecycle.acceptsSends {
            return KafkaError(code: .destroyed, message: "the producer is shut down", topic: topic.name)
        }
        if isTransactional, !transactions.acceptsSends {
            return transactions.sendRefusal(topic: topic.name)
        }
        // An empty value or key still needs an address: NULL would mean none.
        let payload = value.map { UnsafeMutableRawPointer(mutating: $0.baseAddress ?? UnsafeRawPointer(emptyBytes)) }
        let keyAddress = key.map { $0.baseAddress ?? UnsafeRawPointer(emptyBytes) }
        let flags = RD_KAFKA_MSG_F_COPY | (blockWhenFull ? RD_KAFKA_MSG_F_BLOCK : 0)
        let result = rd_kafka_produce(
            topic.handle, partition ?? RD_KAFKA_PARTITION_UA, flags, payload, value?.count ?? 0, keyAddress, key?.count ?? 0, opaque)
        guard result == -1 else { return nil }
        var kafkaError = KafkaError(rd_kafka_last_error(), topic: topic.name)
        if isTransactional, kafkaError.code == .invalidState {
            kafkaError = transactions.librdkafkaRefusedSend(kafkaError, topic: topic.name)
        }
        explainSizeRefusal(&kafkaError, size: (value?.count ?? 0) + (key?.count ?? 0))
        return kafkaError
    }

    /// A record refused as too large says its size and the limit, and names the property.
    private func explainSizeRefusal(_ kafkaError: inout KafkaError, size: Int) {
        guard kafkaError.code == .messageSizeTooLarge else { return }
        let limit = client.property("message.max.bytes").map { " (\($0))" } ?? ""
        // librdkafka counts headers and the record's framing too: a record a few bytes
        // under the limit may still be refused.
        kafkaError.message = "message of \(size) bytes (key and value; headers and framing count too) "
            + "is larger than message.max.bytes\(limit): \(kafkaError.message)"
        kafkaError.property = "message.max.bytes"
    }

    /// Records `from..<to` of `batch` (no headers or timestamps) in one
    /// `rd_kafka_produce_batch`: one clock read, one topic lock and one look at the lifecycle
    /// and the transaction for all of them. Record `i` carries the fire-and-forget ID
    /// `firstID + (i - from)`. Never blocks.
    ///
    /// A record librdkafka refused for another reason than a full queue is passed to `refused`
    /// (which, as for ``produce(to:partition:key:value:opaque:blockWhenFull:)``, means nothing
    /// of it was queued). Returns how many were queued, and the first record refused because
    /// the queue was full: librdkafka then refuses every later one of the batch too, and the
    /// caller sends them again.
    func produceBatch(
        to topic: RDKafkaTopic,
        partition: Int32?,
        batch: KafkaProducerBatch,
        from: Int,
        to end: Int,
        firstID: UInt64,
        refused: (Int, KafkaError) -> Void
    ) -> (queued: Int, queueFullAt: Int?) {
        producing.add(1, ordering: .sequentiallyConsistent)
        defer { producing.subtract(1, ordering: .sequentiallyConsistent) }
        var refusal: KafkaError? = nil
        if !lifecycle.acceptsSends {
            refusal = KafkaError(code: .destroyed, message: "the producer is shut down", topic: topic.name)
        } else if isTransactional, !transactions.acceptsSends {
            refusal = transactions.sendRefusal(topic: topic.name)
        }
        if let refusal {
            for index in from..<end { refused(index, refusal) }
            return (0, nil)
        }
        let messages = batch.messages + from
        let count = end - from
        for offset in 0..<count {
            messages[offset]._private = UnsafeMutableRawPointer(bitPattern: UInt(firstID &+ UInt64(offset)) << 1 | 1)!
            messages[offset].err = RD_KAFKA_RESP_ERR_NO_ERROR
        }
        let queued = Int(rd_kafka_produce_batch(topic.handle, partition ?? RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, messages, Int32(count)))
        guard queued < count else { return (queued, nil) }
        for offset in 0..<count {
            let code = messages[offset].err
            if code == RD_KAFKA_RESP_ERR_NO_ERROR { continue }
            if code == RD_KAFKA_RESP_ERR__QUEUE_FULL { return (queued, from + offset) }
            var kafkaError = KafkaError(code, topic: topic.name)
            if isTransactional, kafkaError.code == .invalidState {
                kafkaError = transactions.librdkafkaRefusedSend(kafkaError, topic: topic.name)
            }
            explainSizeRefusal(&kafkaError, size: messages[offset].len + messages[offset].key_len)
            refused(from + offset, kafkaError)
        }
        return (queued, nil)
    }

    // MARK: The poller

    fileprivate func pollLoop() {
        var lastActivity = sendActivity.load(ordering: .relaxed)
        var deferring = false
        while true {
            // While a fire-and-forget sender is busy it serves the events itself (see
            // `serveOne`), so that messages are freed on the thread that allocated them; the
            // poller looks again every millisecond and takes over once the sender pauses.
            wakePipe.wait(milliseconds: deferring ? 1 : lifecycle.pollTimeoutMilliseconds())
            // Read after waking: shutdown's wake-up must be acted on now, not after another
            // (100 ms) wait.
            let running = lifecycle.acceptsSends
            let activity = sendActivity.load(ordering: .relaxed)
            if running, activity != lastActivity {
                lastActivity = activity
                deferring = true
                lifecycle.resumeExpiredWaiters()
                continue
            }
            // A sender serving an event (a batch of reports, each perhaps with a handler of
            // its own) holds the flag: look again in a millisecond rather than spin for it.
            deferring = !serveAll()
            lifecycle.resumeExpiredWaiters()
            if deferring || running { continue }
            let action = lifecycle.pollerServedAll(
                sendsInProgress: producing.load(ordering: .sequentiallyConsistent),
                outstanding: Int(rd_kafka_outq_len(client.handle)))
            switch action {
            case .keepServing:
                continue
            case .purgeAndLookAgain:
                // A send that raced shutdown still gets its report, purged at once.
                purge(includingInFlight: true)
                deferring = true  // look again soon: a send in progress finishes within microseconds
            case .stop:
                events?.finish()
                eventHandler.withLock { $0 = nil }
                return
            }
        }
    }

    /// Poller side: handles every pending event. Returns `false`, having done nothing, if a
    /// sender is serving an event.
    private func serveAll() -> Bool {
        guard serving.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { serving.store(false, ordering: .releasing) }
        while let event = rd_kafka_queue_poll(client.mainQueue, 0) {
            handle(event)
            rd_kafka_event_destroy(event)
            lifecycle.queueSpaceFreed()
        }
        return true
    }

    /// Sender side: handles at most one pending event, only if the poller is not serving —
    /// a sender never waits here. Returns whether it handled one.
    @inline(__always) @discardableResult
    func serveOne(fireAndForget id: KafkaProducerMessageID?) -> Bool {
        if let id { sendActivity.store(id.rawValue, ordering: .relaxed) }
        guard serving.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        let event = rd_kafka_queue_poll(client.mainQueue, 0)
        if let event {
            handle(event)
            rd_kafka_event_destroy(event)
        }
        serving.store(false, ordering: .releasing)
        if event != nil { lifecycle.queueSpaceFreed() }
        return event != nil
    }

    private func handle(_ event: OpaquePointer) {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_DR:
            handleDeliveryReports(event)
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
                // Every later transaction call and send says so, without asking librdkafka.
                transactions.fatalErrorRaised(error)
            }
            // Info only when nobody else will see it (swift-log: libraries log at info or below).
            let seen = publish(.error(error), weight: 1, droppableWhenFull: true)
            logger.log(level: seen ? .debug : .info, "Kafka client error", metadata: [KafkaLogMetadataKey.error: "\(error)"])
        case RD_KAFKA_EVENT_STATS:
            if let json = rd_kafka_event_stats(event) {
                metrics?.submit(statistics: json)
                publish(.statistics(String(cString: json)), weight: 1, droppableWhenFull: true)
            }
        default:
            break
        }
    }

    /// Hands an event to the handler or the event buffer, never waiting. `false` if nobody
    /// will see it (no handler and no buffer, the reader has gone, or a droppable event met a
    /// full buffer).
    @discardableResult
    private func publish(_ event: KafkaProducerEvent, weight: Int, droppableWhenFull: Bool = false) -> Bool {
        // Copied out of the lock: the handler runs without it (once per event, not per record).
        if let eventHandler = eventHandler.withLock({ $0 }) {
            eventHandler(event)
            return true
        }
        guard let events else { return false }
        return events.push(event, weight: weight, droppableWhenFull: droppableWhenFull)
    }

    /// A fire-and-forget failure nobody else will see: logged at info, the most a library
    /// logs at.
    private func logUndelivered(_ report: KafkaDeliveryReport) {
        guard let error = report.error else { return }
        logger.info("Kafka message not delivered", metadata: [KafkaLogMetadataKey.messageID: "\(report.id)", KafkaLogMetadataKey.error: "\(error)"])
    }

    private func handleDeliveryReports(_ event: OpaquePointer) {
        // Once the event sequence's reader has gone, its reports would only be discarded.
        let wantsReports = self.wantsReports && !(events?.isDiscarding ?? false)
        let total = rd_kafka_event_message_count(event)
        var reports: [KafkaDeliveryReport] = []
        if wantsReports { reports.reserveCapacity(total) }
        var delivered = 0
        var failed = 0
        var purged = 0
        var failures = RDKafkaFailureTally(metrics: metrics)
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
                        failures.add(err)
                    }
                    var opaque = UInt(bitPattern: message.pointee._private)
                    if tracing != nil, RDKafkaProducerTracing.isTraced(opaque) {
                        opaque = RDKafkaProducerTracing.finishSend(opaque, message: message)
                    }
                    if opaque & 1 == 1, !wantsReports, err == RD_KAFKA_RESP_ERR_NO_ERROR { continue }
                    if message.pointee.rkt != lastTopicHandle {
                        lastTopicHandle = message.pointee.rkt
                        lastTopicName = String(cString: rd_kafka_topic_name(message.pointee.rkt))
                    }
                    if opaque & 1 == 1 {
                        let report = makeReport(message, id: UInt64(opaque >> 1), topic: lastTopicName)
                        if wantsReports {
                            reports.append(report)
                        } else {
                            logUndelivered(report)
                        }
                    } else if let pointer = UnsafeMutableRawPointer(bitPattern: opaque) {
                        let receiver = Unmanaged<KafkaDeliveryReceiver>.fromOpaque(pointer).takeRetainedValue()
                        let report = makeReport(message, id: receiver.messageID.rawValue, topic: lastTopicName)
                        receiver.inFlight.store(false, ordering: .releasing)
                        receiver.received(report)
                    }
                }
            }
        }
        failures.flush()
        if delivered > 0 { deliveredCount.add(delivered, ordering: .relaxed) }
        if failed > 0 { failedCount.add(failed, ordering: .relaxed) }
        if purged > 0 { purgedCount.add(purged, ordering: .relaxed) }
        if !reports.isEmpty, !publish(.deliveryReports(reports), weight: reports.count) {
            for report in reports { logUndelivered(report) }
        }
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
            errorCode: KafkaError.Code(err),
            persistence: Self.persistence(rd_kafka_message_status(message))
        )
    }

    private static func persistence(_ status: rd_kafka_msg_status_t) -> KafkaDeliveryReport.Persistence {
        switch status {
        case RD_KAFKA_MSG_STATUS_PERSISTED: .persisted
        case RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED: .possiblyPersisted
        default: .notPersisted
        }
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

    /// Shuts down (see ``ProducerStateMachine``): refuses new sends and tells waiting ones,
    /// ends an open transaction (see ``RDKafkaProducerTransactions``: waits for a running
    /// transaction call, aborts, or resumes a commit that timed out) within
    /// `transactionTimeout` (by default `timeout`), flushes for what is left of `timeout`,
    /// purges what is left (each purged message gets a report saying so), then waits for the
    /// poller to serve every report and stop. Blocking. Reports how many messages were purged
    /// meanwhile and what became of an open transaction.
    func stopBlocking(timeout: Duration, transactionTimeout: Duration? = nil) -> KafkaProducerShutdownReport {
        let purgedBefore = purgedCount.load(ordering: .relaxed)
        var report = KafkaProducerShutdownReport()
        if lifecycle.beginShutdown() {
            let clock = ContinuousClock()
            let start = clock.now
            if isTransactional {
                let outcome = transactions.endAtShutdownBlocking(client, timeout: transactionTimeout ?? timeout, logger: logger)
                report.abortedTransaction = outcome.aborted
                report.committedTransaction = outcome.committed
                report.transactionError = outcome.error
            }
            let flushed = flushBlocking(timeout: max(.zero, timeout - (clock.now - start)))
            if lifecycle.flushFinished(allDelivered: flushed) { purge(includingInFlight: true) }
        }
        lifecycle.waitForPollerToStop()
        report.purgedMessages = purgedCount.load(ordering: .relaxed) - purgedBefore
        return report
    }
}

/// The poller thread's reference to the core, dropped before the thread reports its stop. A
/// thread keeps its closure until it ends, after shutdown has returned; had the closure held
/// the core (and with it the client), `rd_kafka_destroy` could run there while the program,
/// its work done, exits (see `BlockingWork` in RDKafkaClient.swift).
private final class PollerHold: @unchecked Sendable {
    /// Read and cleared once, by the poller thread.
    private var core: RDKafkaProducerCore?

    init(_ core: RDKafkaProducerCore) { self.core = core }

    func run() {
        core!.pollLoop()
        core = nil
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
nonisolated(unsafe) let emptyBytes = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
