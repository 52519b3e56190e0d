import CLibrdkafka
import Dispatch
import Foundation
public import Logging
public import ServiceLifecycle

/// A Kafka producer on librdkafka.
///
/// Sending never blocks a thread: ``send(_:)`` hands the record to librdkafka and returns its
/// ID at once; ``sendAndWait(_:)`` suspends until the broker acknowledges it. A thread of the
/// producer's own serves delivery reports as librdkafka produces them — callers never poll.
///
/// Every record handed to the producer gets exactly one outcome: delivered, or an error saying
/// why (timed out, purged, too large, unknown topic, ...). Fire-and-forget outcomes arrive on
/// ``KafkaProducerEvents`` (see ``makeProducerWithEvents(configuration:logger:)``) or at an event
/// handler (``init(configuration:logger:eventHandler:)``); a producer made with neither logs
/// each failed fire-and-forget delivery at `info` level.
///
/// The producer works as soon as it is created. Run it in a `ServiceGroup` to tie its
/// graceful shutdown to the service lifecycle; otherwise call ``shutdown(timeout:)``.
///
/// ```swift
/// let producer = try KafkaProducer(configuration: .init(bootstrapServers: ["127.0.0.1:9092"]), logger: logger)
/// let report = try await producer.sendAndWait(KafkaProducerRecord(topic: "events", key: "k", value: "hello"))
/// print(report.partition, report.offset)
/// ```
public final class KafkaProducer: Sendable, Service {
    let core: RDKafkaProducerCore

    /// Creates a producer. Failed deliveries of fire-and-forget sends are logged; use
    /// ``makeProducerWithEvents(configuration:logger:)`` to receive every report.
    ///
    /// - Throws: ``KafkaError`` naming the property librdkafka rejected, or saying that the
    ///   installed librdkafka is older than 2.12.
    public convenience init(configuration: KafkaConfiguration, logger: Logger = KafkaProducer.defaultLogger) throws {
        try self.init(core: RDKafkaProducerCore(configuration: configuration, logger: logger, withEvents: false))
    }

    /// Creates a producer together with the sequence of its events: delivery reports of
    /// fire-and-forget sends (in batches), client errors and statistics.
    ///
    /// The sequence is bounded by ``KafkaConfiguration/eventBufferCapacity``: iterate it, or
    /// fire-and-forget sends wait, then fail with a queue-full error, once that many reports
    /// wait for a reader. Leaving the loop ends the reading for good: later events are
    /// discarded (see ``KafkaProducerEvents``).
    public static func makeProducerWithEvents(
        configuration: KafkaConfiguration,
        logger: Logger = KafkaProducer.defaultLogger
    ) throws -> (KafkaProducer, KafkaProducerEvents) {
        let core = try RDKafkaProducerCore(configuration: configuration, logger: logger, withEvents: true)
        return (KafkaProducer(core: core), KafkaProducerEvents(buffer: core.events!))
    }

    /// Creates a producer that hands its events — fire-and-forget delivery reports in batches,
    /// client errors, statistics — to `eventHandler`, the way a C producer's delivery callback
    /// works: no buffer, no extra task.
    ///
    /// The handler runs on a KafkaKit thread: the one serving librdkafka's queue, which is
    /// often the sending task's own thread right after a send. Keep it short and never block
    /// in it; hand longer work to a task or queue of your own.
    ///
    /// The producer lets go of the handler once it is shut down (after the last event), so a
    /// handler may capture what holds the producer: the cycle ends with the shutdown.
    public convenience init(
        configuration: KafkaConfiguration,
        logger: Logger = KafkaProducer.defaultLogger,
        eventHandler: @escaping @Sendable (KafkaProducerEvent) -> Void
    ) throws {
        try self.init(core: RDKafkaProducerCore(
            configuration: configuration, logger: logger, withEvents: false, eventHandler: eventHandler))
    }

    private init(core: RDKafkaProducerCore) {
        self.core = core
        core.start()
    }

    deinit {
        // Not shut down by its owner: end quickly. Undelivered messages are purged; their
        // reports still reach the event sequence (or the log).
        // stopBlocking waits for the poller, so it must not run on the caller's (perhaps
        // cooperative) thread: the shared blocking executor runs it.
        // A transaction left open gets a short time to be aborted (its EndTxn sent and
        // answered), so that read_committed readers are not held up until
        // transaction.timeout.ms; this runs on the blocking executor, not the caller's thread.
        let core = self.core
        guard !core.isStopping else { return }
        RDKafkaBlockingExecutor.shared.submit {
            _ = core.stopBlocking(timeout: .zero, transactionTimeout: KafkaProducer.droppedTransactionTimeout)
        }
    }

    /// How long a producer dropped without shutdown gives its open transaction's abort.
    static var droppedTransactionTimeout: Duration { .seconds(2) }

    /// A logger that discards everything.
    public static let defaultLogger = Logger(label: "KafkaKit.producer", factory: { _ in SwiftLogNoOpLogHandler() })

    // MARK: Sending

    /// Hands a record to librdkafka without waiting for the broker and returns its ID; the
    /// delivery report arrives later (on ``KafkaProducerEvents`` or at the event handler) with
    /// the same ID.
    ///
    /// Returns without suspending unless librdkafka's local queue is full — or, for a producer
    /// made with ``KafkaProducerEvents``, its unread reports fill
    /// ``KafkaConfiguration/eventBufferCapacity``; then it follows
    /// ``KafkaConfiguration/queueFullPolicy`` (by default: waits up to 10 s while reports drain).
    ///
    /// - Throws: ``KafkaError`` when the record was not queued: queue full, message too large,
    ///   unknown partition, producer shut down, ... Nothing is queued then.
    @inlinable
    nonisolated(nonsending)
    public func send(_ record: KafkaProducerRecord) async throws -> KafkaProducerMessageID {
        // The common case is a plain call; only a full queue takes the asynchronous path.
        do {
            return try trySend(record)
        } catch where _waitsWhenQueueFull(error) {
            return try await _sendWaitingForQueueSpace(record)
        }
    }

    /// Hands a record to librdkafka without waiting for anything, from synchronous code.
    ///
    /// Like ``send(_:)``, but a full local queue fails at once with
    /// ``KafkaError/Code/queueFull`` whatever the ``KafkaConfiguration/queueFullPolicy``.
    public func trySend(_ record: KafkaProducerRecord) throws(KafkaError) -> KafkaProducerMessageID {
        if core.eventBufferIsFull { throw core.eventBufferFullError(topic: record.topic) }
        let id = core.makeID()
        if let error = core.produce(record, opaque: UnsafeMutableRawPointer(bitPattern: UInt(id.rawValue) << 1 | 1)!) {
            throw error
        }
        // Report batches come a few hundred times a second; looking every 16th send keeps them
        // served promptly at a sixteenth of the cost (a flag and librdkafka's queue lock).
        if id.rawValue & 15 == 0 { core.serveOne(fireAndForget: id) }
        return id
    }

    /// Hands borrowed bytes to librdkafka without waiting for anything — for tools that read
    /// records into a buffer of their own (librdkafka copies key and value before returning).
    ///
    /// A full local queue fails at once with ``KafkaError/Code/queueFull``.
    public func trySend(
        topic: String,
        partition: Int32? = nil,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader] = []
    ) throws(KafkaError) -> KafkaProducerMessageID {
        if core.eventBufferIsFull { throw core.eventBufferFullError(topic: topic) }
        let id = core.makeID()
        if let error = core.produce(
            topic: topic, partition: partition, key: key, value: value, timestamp: nil, headers: headers,
            opaque: UnsafeMutableRawPointer(bitPattern: UInt(id.rawValue) << 1 | 1)!
        ) {
            throw error
        }
        if id.rawValue & 15 == 0 { core.serveOne(fireAndForget: id) }
        return id
    }

    /// Hands borrowed bytes to librdkafka without waiting, with an object that receives this
    /// message's outcome (see ``trySend(_:reportingTo:)``). librdkafka copies key and value
    /// before this returns.
    @discardableResult
    public func trySend(
        topic: String,
        partition: Int32? = nil,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader] = [],
        reportingTo receiver: KafkaDeliveryReceiver
    ) throws(KafkaError) -> KafkaProducerMessageID {
        try queue(receiver) { opaque in
            core.produce(topic: topic, partition: partition, key: key, value: value, timestamp: nil, headers: headers, opaque: opaque)
        }
    }

    /// Hands a record to librdkafka without waiting, with an object that receives this
    /// message's outcome: `receiver`'s ``KafkaDeliveryReceiver/received(_:)`` is called
    /// exactly once, unless the record is not queued — then this throws and it is never called.
    ///
    /// The cheapest per-message outcome: the receiver is the only object KafkaKit adds to the
    /// send. A full local queue fails at once with ``KafkaError/Code/queueFull``.
    @discardableResult
    public func trySend(_ record: KafkaProducerRecord, reportingTo receiver: KafkaDeliveryReceiver) throws(KafkaError) -> KafkaProducerMessageID {
        try queue(receiver) { opaque in core.produce(record, opaque: opaque) }
    }

    /// Hands a record to librdkafka without waiting, with a handler for this message's outcome:
    /// `onDelivery` is called exactly once, with the delivery report (delivered, or the error
    /// saying why not), unless the record is not queued — then this throws and the handler is
    /// never called. Its report does not also go to the producer's event sequence or handler.
    ///
    /// The handler runs where a ``KafkaDeliveryReceiver``'s does (see
    /// ``KafkaDeliveryReceiver/received(_:)``): keep it short. A full local queue fails at once
    /// with ``KafkaError/Code/queueFull``.
    @discardableResult
    public func trySend(
        _ record: KafkaProducerRecord,
        onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void
    ) throws(KafkaError) -> KafkaProducerMessageID {
        try trySend(record, reportingTo: RDKafkaDeliveryWaiter(completion: onDelivery))
    }

    /// Queues one message carrying `receiver` (claimed for it, and released if librdkafka
    /// refuses the message).
    private func queue(
        _ receiver: KafkaDeliveryReceiver,
        _ produce: (UnsafeMutableRawPointer) -> KafkaError?
    ) throws(KafkaError) -> KafkaProducerMessageID {
        guard !receiver.inFlight.exchange(true, ordering: .acquiringAndReleasing) else {
            throw KafkaError(code: .invalidArgument, message: "this KafkaDeliveryReceiver still carries a message without a report: use one receiver per message")
        }
        let id = core.makeID()
        receiver.messageID = id
        let opaque = Unmanaged.passRetained(receiver).toOpaque()
        if let error = produce(opaque) {
            receiver.inFlight.store(false, ordering: .releasing)
            Unmanaged<KafkaDeliveryReceiver>.fromOpaque(opaque).release()
            throw error
        }
        if id.rawValue & 15 == 0 { core.serveOne(fireAndForget: id) }
        return id
    }

    /// Like ``trySend(_:reportingTo:)``, but a full local queue follows
    /// ``KafkaConfiguration/queueFullPolicy`` (by default: waits up to 10 s while reports
    /// drain) instead of failing at once.
    @discardableResult
    nonisolated(nonsending)
    public func send(_ record: KafkaProducerRecord, reportingTo receiver: KafkaDeliveryReceiver) async throws -> KafkaProducerMessageID {
        var deadline: DispatchTime? = nil
        while true {
            let epoch = core.lifecycle.queueSpaceEpoch
            do {
                return try trySend(record, reportingTo: receiver)
            } catch {
                try await waitAfterQueueFull(error, deadline: &deadline, seenEpoch: epoch)
            }
        }
    }

    /// Like ``trySend(_:onDelivery:)``, but a full local queue follows
    /// ``KafkaConfiguration/queueFullPolicy`` (by default: waits up to 10 s while reports
    /// drain) instead of failing at once.
    @discardableResult
    nonisolated(nonsending)
    public func send(
        _ record: KafkaProducerRecord,
        onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void
    ) async throws -> KafkaProducerMessageID {
        try await send(record, reportingTo: RDKafkaDeliveryWaiter(completion: onDelivery))
    }

    @usableFromInline
    func _waitsWhenQueueFull(_ error: KafkaError) -> Bool {
        guard error.code == .queueFull, case .wait = core.configuration.queueFullPolicy else { return false }
        return true
    }

    @usableFromInline
    nonisolated(nonsending)
    func _sendWaitingForQueueSpace(_ record: KafkaProducerRecord) async throws -> KafkaProducerMessageID {
        var deadline: DispatchTime? = nil
        while true {
            let epoch = core.lifecycle.queueSpaceEpoch
            do {
                return try trySend(record)
            } catch {
                try await waitAfterQueueFull(error, deadline: &deadline, seenEpoch: epoch)
            }
        }
    }

    /// Hands a record to librdkafka and suspends until the broker acknowledges it (or it
    /// fails), returning the delivery report: partition, offset and timestamp.
    ///
    /// Cancelling the task does not recall a queued message: the call still waits for its
    /// outcome, which comes within `message.timeout.ms`.
    ///
    /// - Throws: ``KafkaError``: why the record was not queued, or why it was not delivered.
    nonisolated(nonsending)
    public func sendAndWait(_ record: KafkaProducerRecord) async throws -> KafkaDeliveryReport {
        let id = core.makeID()
        var deadline: DispatchTime? = nil
        while true {
            let epoch = core.lifecycle.queueSpaceEpoch
            let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<SendOutcome, Never>) in
                let waiter = RDKafkaDeliveryWaiter { continuation.resume(returning: .reported($0)) }
                waiter.messageID = id
                let opaque = Unmanaged.passRetained(waiter).toOpaque()
                if let error = core.produce(record, opaque: opaque) {
                    Unmanaged<KafkaDeliveryReceiver>.fromOpaque(opaque).release()
                    continuation.resume(returning: .notQueued(error))
                } else {
                    core.serveOne(fireAndForget: nil)
                }
            }
            switch outcome {
            case .reported(let report):
                if let error = report.error { throw error }
                return report
            case .notQueued(let error):
                try await waitAfterQueueFull(error, deadline: &deadline, seenEpoch: epoch)
            }
        }
    }

    enum SendOutcome: Sendable {
        case reported(KafkaDeliveryReport)
        case notQueued(KafkaError)
    }

    /// Rethrows `error` unless it is a full queue and the policy says to wait, in which case it
    /// waits until queue space may have been freed since the attempt that read `seenEpoch`
    /// (or throws once the deadline has passed, or ``KafkaError/Code/destroyed`` at shutdown).
    nonisolated(nonsending)
    private func waitAfterQueueFull(_ error: KafkaError, deadline: inout DispatchTime?, seenEpoch: UInt64) async throws {
        guard error.code == .queueFull, case .wait(let timeout) = core.configuration.queueFullPolicy else { throw error }
        if deadline == nil { core.metrics?.queueFullWaited(eventBuffer: error.property == "eventBufferCapacity") }
        let end = deadline ?? (.now() + .nanoseconds(Int(clamping: timeout.wholeMilliseconds * 1_000_000)))
        deadline = end
        switch await core.lifecycle.waitForQueueSpace(until: end, seenEpoch: seenEpoch) {
        case .retry:
            return
        case .shutDown:
            throw KafkaError(code: .destroyed, message: "the producer is shut down", topic: error.topic)
        case .deadlinePassed:
            core.metrics?.queueFullTimedOut(eventBuffer: error.property == "eventBufferCapacity")
            var error = error
            error.message = error.property == "eventBufferCapacity"
                ? "the producer's event buffer is still full after waiting \(timeout): read KafkaProducerEvents faster, "
                    + "or raise eventBufferCapacity"
                : "the local producer queue is still full after waiting \(timeout) "
                    + "(queue.buffering.max.messages / queue.buffering.max.kbytes)"
            throw error
        }
    }

    // MARK: Queue control

    /// Messages (and reports) librdkafka still holds: queued, in flight, or awaiting their report.
    public var outputQueueLength: Int { core.outputQueueLength }

    /// Messages delivered so far.
    public var deliveredCount: Int { core.delivered }

    /// Messages that failed so far (each with a report saying why).
    public var failedCount: Int { core.failed }

    /// Waits until every message handed to the producer has its report, on a thread of its own.
    ///
    /// - Throws: ``KafkaError/Code/timedOut`` if messages remain after `timeout`; they keep going.
    public func flush(timeout: Duration) async throws {
        let core = self.core
        let flushed = await runBlocking { core.flushBlocking(timeout: timeout) }
        guard flushed else {
            throw KafkaError(
                code: .timedOut,
                message: "\(core.outputQueueLength) messages still outstanding after flushing for \(timeout)",
                isRetriable: true
            )
        }
    }

    /// Drops queued messages (and, with `includingInFlight`, those awaiting a broker's
    /// answer). Each one gets a report with ``KafkaError/Code/purgedFromQueue`` or
    /// ``KafkaError/Code/purgedInFlight``.
    public func purge(includingInFlight: Bool = false) {
        core.purge(includingInFlight: includingInFlight)
    }

    /// Every effective librdkafka property of this producer, secrets redacted.
    public func effectiveProperties() -> [KafkaConfigurationEntry] {
        core.client.effectiveProperties()
    }

    // MARK: Lifecycle

    /// Ends the producer: refuses new sends with ``KafkaError/Code/destroyed`` (sends waiting
    /// for queue space fail so at once), flushes for up to
    /// ``KafkaConfiguration/shutdownTimeout``, purges what is left (each purged message is
    /// reported as such), and finishes the event sequence. Returns within about the timeout,
    /// whether or not anyone reads the events.
    ///
    /// A transactional producer first ends the transaction left open, if any (within the same
    /// timeout): it waits for a transaction call that runs to return, aborts a transaction
    /// that is open or must be aborted, and finishes a commit that timed out; it logs what it
    /// did at info level, and ``shutdownAndReport(timeout:)`` also says so in its result.
    ///
    /// - Returns: how many messages were purged because they were not delivered in time (or
    ///   were in the aborted transaction).
    @discardableResult
    public func shutdown(timeout: Duration? = nil) async -> Int {
        await shutdownAndReport(timeout: timeout).purgedMessages
    }

    /// Shuts down as ``shutdown(timeout:)`` and reports what it did: how many messages were
    /// purged, and whether a transaction left open was aborted (or why not).
    public func shutdownAndReport(timeout: Duration? = nil) async -> KafkaProducerShutdownReport {
        let core = self.core
        let timeout = timeout ?? core.configuration.shutdownTimeout
        return await runBlocking { core.stopBlocking(timeout: timeout) }
    }

    /// Waits for graceful shutdown (or cancellation), then shuts down as ``shutdown(timeout:)``
    /// (aborting a transaction left open, and logging that it did).
    public func run() async throws {
        try? await gracefulShutdown()
        let purged = await shutdown()
        if purged > 0 {
            // Info: each purged message has its report; this line only sums them up.
            core.logger.info("Kafka producer purged undelivered messages at shutdown", metadata: [KafkaLogMetadataKey.purged: "\(purged)"])
        }
    }
}
