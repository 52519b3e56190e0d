public import KafkaKit
public import KafkaKitConnections
public import Logging
public import ServiceLifecycle
import Synchronization

/// Publishes messages to broker IDs and sockets, and events to the sockets subscribed to them
/// (the seed's event_kafka: `kafka_publish` and the Event Interface's Kafka transport).
///
/// ```swift
/// let publisher = try KafkaEventPublisher(
///     brokers: [KafkaBrokerSpec(parsing: "[k1]127.0.0.1:9092/topic1?g.linger.ms=100&t.acks=all")],
///     subscriptions: [KafkaSubscription(event: "E_PIKE_BLOCKED", sockets: [
///         KafkaSocket(parsing: "kafka:127.0.0.1:9092/security?key=callid"),
///     ])])
///
/// try publisher.publish(broker: "k1", message: "my msg content", key: callID) { report in
///     print(report.isDelivered, report.target)
/// }
/// try publisher.raise(KafkaEvent(name: "E_PIKE_BLOCKED", params: ["ip": "192.168.2.11"], correlationKey: callID))
/// ```
///
/// Publishing never waits: a message is handed to librdkafka, or the call throws at once
/// saying why not (the seed's 1 / -1). A report handler, if given, is called exactly once per
/// queued message with its outcome; without one, a failed delivery is logged at `info`
/// level. Producers are created on first use, one per distinct broker list and property set
/// (shared through the `KafkaConnectionRegistry`), and librdkafka validates each socket's
/// properties then.
///
/// Run the publisher in a `ServiceGroup`, or call ``shutdown(timeout:)``: outstanding messages
/// are delivered within the bound, and those still undelivered are purged and reported as
/// failed — never dropped silently.
public final class KafkaEventPublisher: Sendable, Service {
    /// Called once per queued message with its outcome.
    ///
    /// It runs on the thread that serves librdkafka's reports — as a C delivery callback runs
    /// inside `rd_kafka_poll` — which is often a publishing thread, inside a later
    /// `publish` call (that keeps librdkafka's memory on the thread that allocated it, worth
    /// about 15 % of throughput), and otherwise a KafkaKit thread. So keep it short, never block
    /// in it, and never take in it a lock that is held around `publish`: hand longer work to
    /// a task or queue of your own.
    public typealias ReportHandler = @Sendable (KafkaPublishReport) -> Void

    private struct State {
        var brokers: [String: KafkaBrokerSpec] = [:]
        var subscriptions: [String: [KafkaSocket]] = [:]
        /// Resolved destinations (with their producers), by broker ID and by socket.
        var brokerRoutes: [String: Route] = [:]
        /// The route used last: publishing to one broker ID again skips the dictionary.
        var lastBrokerRoute: Route?
        var socketRoutes: [KafkaSocket: Route] = [:]
        var isShutDown = false
    }

    /// A destination and its producer (a class: one reference to take per publish).
    private final class Route: Sendable {
        let destination: KafkaPublishDestination
        let producer: KafkaProducer
        let topic: String

        init(destination: KafkaPublishDestination, producer: KafkaProducer) {
            self.destination = destination
            self.producer = producer
            self.topic = destination.socket.topic
        }

        /// What carries a message's report to `report`, if there is a handler.
        func receiver(key: [UInt8]?, message: [UInt8], report: ReportHandler?) -> PublishDelivery? {
            report.map { PublishDelivery(destination: destination, key: key, message: message, report: $0) }
        }

        func sendAndWait(message: [UInt8], key: [UInt8]?) async throws -> KafkaDeliveryReport {
            try await producer.sendAndWait(KafkaProducerRecord(topic: topic, key: key, value: message))
        }
    }

    private let state: Mutex<State>
    /// Where the producers live (shared with whoever else uses it).
    public let registry: KafkaConnectionRegistry
    /// How long a graceful shutdown waits for outstanding messages before purging them.
    public let shutdownTimeout: Duration
    private let logger: Logger

    /// Creates a publisher.
    ///
    /// - Parameters:
    ///   - brokers: the broker IDs that ``publish(broker:message:key:report:)-(_,[UInt8],_,_)`` accepts.
    ///   - subscriptions: the sockets each event is published to.
    ///   - registry: where producers are created and shared; the publisher shuts it down with
    ///     itself. By default a registry of its own, or one for the `kafka.conf` given to
    ///     ``init(file:shutdownTimeout:logger:)``.
    ///   - shutdownTimeout: how long shutdown waits for outstanding messages (default 10 s).
    ///   - logger: where the publisher logs (at `info` and below).
    /// - Throws: `KafkaError` if a broker ID is given twice.
    public init(
        brokers: [KafkaBrokerSpec] = [],
        subscriptions: [KafkaSubscription] = [],
        registry: KafkaConnectionRegistry? = nil,
        shutdownTimeout: Duration = .seconds(10),
        logger: Logger = KafkaProducer.defaultLogger
    ) throws(KafkaError) {
        var state = State()
        for broker in brokers {
            try Self.add(broker, to: &state)
        }
        for subscription in subscriptions {
            for socket in subscription.sockets { Self.subscribe(subscription.event, socket, in: &state) }
        }
        self.state = Mutex(state)
        self.registry = registry ?? KafkaConnectionRegistry(KafkaConnectionsFile(), logger: logger)
        self.shutdownTimeout = shutdownTimeout
        self.logger = logger
    }

    /// Creates a publisher for the broker IDs and subscriptions of a `kafka.conf`.
    public convenience init(
        file: KafkaConnectionsFile,
        shutdownTimeout: Duration = .seconds(10),
        logger: Logger = KafkaProducer.defaultLogger
    ) throws(KafkaError) {
        try self.init(
            brokers: file.brokers, subscriptions: file.subscriptions,
            registry: KafkaConnectionRegistry(file, logger: logger),
            shutdownTimeout: shutdownTimeout, logger: logger)
    }

    private static func add(_ broker: KafkaBrokerSpec, to state: inout State) throws(KafkaError) {
        if let existing = state.brokers[broker.id] {
            let first = existing.file.map { " (first declared at \($0):\(existing.line ?? 0))" } ?? ""
            throw KafkaError(code: .invalidArgument, message: "duplicate broker ID '\(broker.id)'\(first)", file: broker.file, line: broker.line)
        }
        state.brokers[broker.id] = broker
    }

    // MARK: Brokers and subscriptions

    /// Adds a broker ID.
    ///
    /// - Throws: `KafkaError` if the ID is taken.
    public func addBroker(_ broker: KafkaBrokerSpec) throws(KafkaError) {
        try state.withLock { state throws(KafkaError) in try Self.add(broker, to: &state) }
    }

    /// The broker IDs, sorted.
    public var brokerIDs: [String] { state.withLock { $0.brokers.keys.sorted() } }

    /// Publishes `event` to `socket` too whenever it is raised (once per raise, however often
    /// it is subscribed).
    public func subscribe(_ event: String, to socket: KafkaSocket) {
        state.withLock { Self.subscribe(event, socket, in: &$0) }
    }

    private static func subscribe(_ event: String, _ socket: KafkaSocket, in state: inout State) {
        guard state.subscriptions[event]?.contains(socket) != true else { return }
        state.subscriptions[event, default: []].append(socket)
    }

    /// Stops publishing `event` to `socket`.
    public func unsubscribe(_ event: String, from socket: KafkaSocket) {
        state.withLock { $0.subscriptions[event]?.removeAll { $0 == socket } }
    }

    /// The sockets an event is published to.
    public func sockets(subscribedTo event: String) -> [KafkaSocket] {
        state.withLock { $0.subscriptions[event] ?? [] }
    }

    // MARK: Publishing

    /// Queues a message for a broker ID without waiting (the seed's `kafka_publish`).
    ///
    /// - Parameters:
    ///   - id: the broker ID, as registered with the publisher or in `kafka.conf`.
    ///   - message: the record's value.
    ///   - key: the record's key; `nil` for none.
    ///   - report: called exactly once with the message's outcome, if it was queued.
    /// - Returns: the message's ID (the seed's 1).
    /// - Throws: `KafkaError` when the message was not queued (the seed's -1): unknown broker
    ///   ID (the known ones are listed), a property librdkafka rejects, a full local queue, a
    ///   message too large, the publisher shut down. The report handler is not called then.
    @discardableResult
    public func publish(broker id: String, message: [UInt8], key: [UInt8]? = nil, report: ReportHandler? = nil) throws(KafkaError) -> KafkaProducerMessageID {
        let route = try resolve(broker: id)
        do {
            return try send(via: route, message: message, key: key, receiver: route.receiver(key: key, message: message, report: report))
        } catch {
            throw Self.annotate(error, "broker '\(id)'")
        }
    }

    /// Queues a text message for a broker ID (UTF-8); see ``publish(broker:message:key:report:)-(_,[UInt8],_,_)``.
    @discardableResult
    public func publish(broker id: String, message: String, key: String? = nil, report: ReportHandler? = nil) throws(KafkaError) -> KafkaProducerMessageID {
        try publish(broker: id, message: Array(message.utf8), key: key.map { Array($0.utf8) }, report: report)
    }

    /// Queues a message for a socket without waiting. The socket's `key=callid` does not apply:
    /// the key given is the key sent.
    ///
    /// - Throws: `KafkaError` when the message was not queued (see
    ///   ``publish(broker:message:key:report:)-(_,[UInt8],_,_)``).
    @discardableResult
    public func publish(to socket: KafkaSocket, message: [UInt8], key: [UInt8]? = nil, report: ReportHandler? = nil) throws(KafkaError) -> KafkaProducerMessageID {
        let route = try resolve(socket: socket)
        do {
            return try send(via: route, message: message, key: key, receiver: route.receiver(key: key, message: message, report: report))
        } catch {
            throw Self.annotate(error, "socket \(socket)")
        }
    }

    /// Like ``publish(broker:message:key:report:)-(_,[UInt8],_,_)``, for producers that publish
    /// faster than the broker takes: when librdkafka's local queue is full, waits (up to 10 s)
    /// while reports drain instead of failing at once. Otherwise it never waits.
    @discardableResult
    nonisolated(nonsending)
    public func publishWaitingForQueueSpace(
        broker id: String, message: [UInt8], key: [UInt8]? = nil, report: ReportHandler? = nil
    ) async throws -> KafkaProducerMessageID {
        let route = try resolve(broker: id)
        let receiver = route.receiver(key: key, message: message, report: report)
        do {
            // The common case is a plain call; only a full queue takes the asynchronous path
            // (the refused message left the receiver free for the retry).
            return try send(via: route, message: message, key: key, receiver: receiver)
        } catch where error.code == .queueFull {
            let record = KafkaProducerRecord(topic: route.topic, key: key, value: message)
            do {
                guard let receiver else { return try await route.producer.send(record) }
                return try await route.producer.send(record, reportingTo: receiver)
            } catch let error as KafkaError {
                throw Self.annotate(error, "broker '\(id)'")
            }
        } catch {
            throw Self.annotate(error, "broker '\(id)'")
        }
    }

    /// Publishes to a broker ID and waits for the broker's acknowledgement.
    ///
    /// - Returns: the delivery report: partition, offset, timestamp.
    /// - Throws: `KafkaError`: why the message was not queued, or not delivered.
    public func publishAndWait(broker id: String, message: [UInt8], key: [UInt8]? = nil) async throws -> KafkaDeliveryReport {
        do {
            return try await resolve(broker: id).sendAndWait(message: message, key: key)
        } catch let error as KafkaError {
            throw Self.annotate(error, "broker '\(id)'")
        }
    }

    /// Publishes to a socket and waits for the broker's acknowledgement.
    public func publishAndWait(to socket: KafkaSocket, message: [UInt8], key: [UInt8]? = nil) async throws -> KafkaDeliveryReport {
        do {
            return try await resolve(socket: socket).sendAndWait(message: message, key: key)
        } catch let error as KafkaError {
            throw Self.annotate(error, "socket \(socket)")
        }
    }

    // MARK: Events

    /// Publishes an event, as its JSON-RPC notification, to every socket subscribed to it,
    /// without waiting. On sockets with `key=callid` the record key is the event's
    /// ``KafkaEvent/correlationKey``; elsewhere records have no key.
    ///
    /// - Parameters:
    ///   - event: the event to publish.
    ///   - report: called exactly once per socket the event was queued to.
    /// - Returns: how many sockets the event was queued to (0 if none is subscribed).
    /// - Throws: `KafkaError` if the event has no name, or if it could not be queued to one or
    ///   more sockets: the error lists each with the reason (those were not queued and get no
    ///   report; the others were).
    @discardableResult
    public func raise(_ event: KafkaEvent, report: ReportHandler? = nil) throws(KafkaError) -> Int {
        try raise(event, to: sockets(subscribedTo: event.name), report: report)
    }

    /// Publishes an event to the given sockets (whatever is subscribed); see ``raise(_:report:)``.
    @discardableResult
    public func raise(_ event: KafkaEvent, to sockets: [KafkaSocket], report: ReportHandler? = nil) throws(KafkaError) -> Int {
        if let error = event.nameError { throw error }
        let payload = event.payload
        var queued = 0
        var failures: [(KafkaSocket, KafkaError)] = []
        for socket in sockets {
            let key = event.recordKey(on: socket)
            do {
                try publish(to: socket, message: payload, key: key, report: report)
                queued += 1
            } catch {
                failures.append((socket, error))
            }
        }
        guard let first = failures.first else { return queued }
        if failures.count == 1, sockets.count == 1 { throw first.1 }
        var error = first.1
        // Each message already names its socket.
        error.message = "event \(event.name) was not queued to \(failures.count) of \(sockets.count) sockets: "
            + failures.map(\.1.message).joined(separator: "; ")
        error.position = nil
        throw error
    }

    /// Publishes an event to every subscribed socket (or to `sockets`) and waits for each
    /// outcome.
    ///
    /// - Returns: one report per socket, in order: delivered, or the error (not queued, or
    ///   not delivered).
    public func raiseAndWait(_ event: KafkaEvent, to sockets: [KafkaSocket]? = nil) async -> [KafkaPublishReport] {
        let sockets = sockets ?? self.sockets(subscribedTo: event.name)
        let payload = event.payload
        if let error = event.nameError {
            return sockets.map { KafkaPublishReport(brokerID: nil, socket: $0, status: .failure(error), key: event.recordKey(on: $0), message: payload) }
        }
        return await withTaskGroup(of: (Int, KafkaPublishReport).self) { group in
            for (index, socket) in sockets.enumerated() {
                let key = event.recordKey(on: socket)
                group.addTask {
                    let status: Result<KafkaDeliveryReport, KafkaError>
                    do {
                        // The report names the socket: its error need not repeat it.
                        status = .success(try await self.resolve(socket: socket).sendAndWait(message: payload, key: key))
                    } catch let error as KafkaError {
                        status = .failure(error)
                    } catch {
                        status = .failure(KafkaError(code: .failure, message: "\(error)"))
                    }
                    return (index, KafkaPublishReport(brokerID: nil, socket: socket, status: status, key: key, message: payload))
                }
            }
            var reports: [KafkaPublishReport?] = Array(repeating: nil, count: sockets.count)
            for await (index, report) in group { reports[index] = report }
            return reports.map { $0! }
        }
    }

    // MARK: Internals

    private func send(via route: Route, message: [UInt8], key: [UInt8]?, receiver: PublishDelivery?) throws(KafkaError) -> KafkaProducerMessageID {
        // Borrowed bytes: no record to build and tear down per message.
        func send(_ key: UnsafeRawBufferPointer?, _ value: UnsafeRawBufferPointer) throws(KafkaError) -> KafkaProducerMessageID {
            guard let receiver else { return try route.producer.trySend(topic: route.topic, key: key, value: value) }
            return try route.producer.trySend(topic: route.topic, key: key, value: value, reportingTo: receiver)
        }
        // (Array's withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.)
        return try message.withUnsafeBytes { value in
            guard let key else { return Result { () throws(KafkaError) in try send(nil, value) } }
            return key.withUnsafeBytes { key in Result { () throws(KafkaError) in try send(key, value) } }
        }.get()
    }

    /// The route of a broker ID, its producer created on first use.
    private func resolve(broker id: String) throws(KafkaError) -> Route {
        // Shutdown empties the routes, so a route found is one still open.
        let cached = state.withLock { state -> Route? in
            if let last = state.lastBrokerRoute, last.destination.brokerID == id { return last }
            let route = state.brokerRoutes[id]
            if route != nil { state.lastBrokerRoute = route }
            return route
        }
        if let cached { return cached }
        let found = try state.withLock { state throws(KafkaError) -> KafkaBrokerSpec? in
            guard !state.isShutDown else { throw Self.shutDownError }
            return state.brokers[id]
        }
        guard let broker = found else { throw .notDeclared("broker ID", id, known: brokerIDs) }
        // Created outside the lock: creating a librdkafka client takes a while.
        let route = Route(destination: KafkaPublishDestination(brokerID: id, socket: broker.socket), producer: try registry.producer(for: broker))
        return try state.withLock { state throws(KafkaError) in
            guard !state.isShutDown else { throw Self.shutDownError }
            if let raced = state.brokerRoutes[id] { return raced }
            state.brokerRoutes[id] = route
            return route
        }
    }

    /// The route of a socket, its producer created on first use (or shared).
    private func resolve(socket: KafkaSocket) throws(KafkaError) -> Route {
        if let route = state.withLock({ $0.socketRoutes[socket] }) { return route }
        try state.withLock { state throws(KafkaError) in
            guard !state.isShutDown else { throw Self.shutDownError }
        }
        let route = Route(destination: KafkaPublishDestination(brokerID: nil, socket: socket), producer: try registry.producer(for: socket))
        return try state.withLock { state throws(KafkaError) in
            guard !state.isShutDown else { throw Self.shutDownError }
            if let raced = state.socketRoutes[socket] { return raced }
            state.socketRoutes[socket] = route
            return route
        }
    }

    private static var shutDownError: KafkaError {
        KafkaError(code: .destroyed, message: "the event publisher is shut down")
    }

    private static func annotate(_ error: KafkaError, _ target: String) -> KafkaError {
        guard !error.message.hasPrefix(target) else { return error }
        var error = error
        error.message = "\(target): \(error.message)"
        return error
    }

    // MARK: Lifecycle

    /// Ends publishing: later publishes fail with `KafkaError/Code/destroyed`; outstanding
    /// messages get up to `timeout` (by default ``shutdownTimeout``) to be delivered, and those
    /// left are purged — each reported as failed to its report handler (or logged).
    ///
    /// - Returns: how many messages were purged.
    @discardableResult
    public func shutdown(timeout: Duration? = nil) async -> Int {
        state.withLock { state in
            state.isShutDown = true
            state.brokerRoutes.removeAll()
            state.lastBrokerRoute = nil
            state.socketRoutes.removeAll()
        }
        return await registry.shutdown(timeout: timeout ?? shutdownTimeout)
    }

    /// Waits for graceful shutdown (or cancellation), then shuts down as ``shutdown(timeout:)``.
    public func run() async throws {
        try? await gracefulShutdown()
        let purged = await shutdown()
        if purged > 0 {
            logger.info("Kafka event publisher purged undelivered messages at shutdown", metadata: [KafkaLogMetadataKey.purged: "\(purged)"])
        }
    }
}

/// A published message with a report handler: calls it with the outcome.
///
/// Unchecked Sendable: `report` is written at creation and cleared by the one call of
/// `received`, which librdkafka's queue orders after the send.
private final class PublishDelivery: KafkaPublished, @unchecked Sendable {
    /// Dropped once called: the report keeps this object, and a handler that keeps reports
    /// (in the object it captures) must not form a cycle through it.
    private var report: KafkaEventPublisher.ReportHandler?

    init(destination: KafkaPublishDestination, key: [UInt8]?, message: [UInt8], report: @escaping KafkaEventPublisher.ReportHandler) {
        self.report = report
        super.init(destination: destination, key: key, message: message)
    }

    override func received(_ delivery: KafkaDeliveryReport) {
        guard let report else { return }
        self.report = nil
        report(KafkaPublishReport(published: self, delivery: delivery))
    }
}
