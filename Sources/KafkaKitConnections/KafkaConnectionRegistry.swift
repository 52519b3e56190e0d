public import KafkaKit
public import Logging
import Synchronization

/// The named connections of a `kafka.conf`, each with a producer created on first use and
/// shared by every caller (the seed's `ast_kafka_get_producer` / `ast_kafka_produce`); and the
/// producers of broker sockets and broker IDs, one per distinct broker list and property set,
/// likewise created on first use and shared.
///
/// Thread-safe. ``reload(_:)`` replaces the configuration: producers of unchanged connections
/// keep running; replaced or removed ones are flushed (their messages are delivered or
/// reported) and shut down.
public final class KafkaConnectionRegistry: Sendable {
    private struct State {
        var file: KafkaConnectionsFile
        var producers: [String: KafkaProducer] = [:]
        var socketProducers: [KafkaConfiguration: KafkaProducer] = [:]
        var isShutDown = false
    }

    private let state: Mutex<State>
    private let logger: Logger

    public init(_ file: KafkaConnectionsFile, logger: Logger = KafkaProducer.defaultLogger) {
        self.state = Mutex(State(file: file))
        self.logger = logger
    }

    /// The configuration in use.
    public var file: KafkaConnectionsFile { state.withLock { $0.file } }

    private static var shutDownError: KafkaError {
        KafkaError(code: .destroyed, message: "the connection registry is shut down")
    }

    /// A producer from `lookup`, or one made by `make` and stored by `store` — made outside the
    /// lock (creating a librdkafka client takes a while, and other callers need not wait for
    /// it). If another caller made one meanwhile, theirs is used and this one dropped (a
    /// dropped producer stops itself).
    ///
    /// `isCurrent` says whether what `make` was made from still holds once the lock is taken
    /// again (a `reload` may have changed it meanwhile); if not, it starts over.
    private func producer(
        lookup: (inout State) throws(KafkaError) -> KafkaProducer?,
        make: () throws(KafkaError) -> KafkaProducer,
        isCurrent: (State) -> Bool = { _ in true },
        store: (inout State, KafkaProducer) -> Void
    ) throws(KafkaError) -> KafkaProducer {
        while true {
            let existing = try state.withLock { state throws(KafkaError) -> KafkaProducer? in
                guard !state.isShutDown else { throw Self.shutDownError }
                return try lookup(&state)
            }
            if let existing { return existing }
            let made = try make()
            let stored = try state.withLock { state throws(KafkaError) -> KafkaProducer? in
                guard !state.isShutDown else { throw Self.shutDownError }
                guard isCurrent(state) else { return nil }
                if let raced = try lookup(&state) { return raced }
                store(&state, made)
                return made
            }
            if let stored { return stored }
        }
    }

    /// The producer of a connection, created on first use (librdkafka validates the
    /// connection's properties then).
    ///
    /// - Throws: `KafkaError` if connections are disabled, the name is unknown (the known
    ///   ones are listed), librdkafka rejects the connection's configuration, or the registry
    ///   is shut down.
    public func producer(for name: String) throws -> KafkaProducer {
        var connection: KafkaConnection?
        return try producer(
            lookup: { state throws(KafkaError) in
                guard state.file.isEnabled else {
                    throw KafkaError(code: .invalidArgument, message: "Kafka connections are disabled ([general] enabled = no)", property: "enabled", file: state.file.path)
                }
                if let producer = state.producers[name] { return producer }
                guard let found = state.file.connection(named: name) else {
                    throw .notDeclared("connection named", name, known: state.file.connections.map(\.name), file: state.file.path)
                }
                connection = found
                return nil
            },
            make: { () throws(KafkaError) in
                let connection = connection!
                do {
                    return try KafkaProducer(configuration: connection.configuration, logger: logger)
                } catch let error as KafkaError {
                    var error = error
                    error.message = "connection '\(name)': \(error.message)"
                    error.file = connection.file
                    error.line = error.property.flatMap { connection.propertyLines[$0] } ?? connection.line
                    throw error
                } catch {
                    throw KafkaError(code: .failure, message: "connection '\(name)': \(error)")
                }
            },
            isCurrent: { state in state.file.isEnabled && state.file.connection(named: name)?.configuration == connection?.configuration },
            store: { state, producer in state.producers[name] = producer })
    }

    /// The broker ID declared in the file (a `type = broker` section).
    ///
    /// - Throws: `KafkaError` if there is none of that ID (the known ones are listed).
    public func broker(id: String) throws(KafkaError) -> KafkaBrokerSpec {
        let file = self.file
        guard let broker = file.broker(id: id) else {
            throw .notDeclared("broker ID", id, known: file.brokers.map(\.id), file: file.path)
        }
        return broker
    }

    /// The producer of a broker socket: one per distinct broker list and property set, created
    /// on first use (librdkafka validates the socket's properties then) and shared.
    ///
    /// - Throws: `KafkaError` if librdkafka rejects a property (the error names it, with its
    ///   `KafkaError/position` in the socket text), or the registry is shut down.
    public func producer(for socket: KafkaSocket) throws(KafkaError) -> KafkaProducer {
        let configuration = socket.configuration
        return try producer(
            lookup: { state throws(KafkaError) in state.socketProducers[configuration] },
            make: { () throws(KafkaError) in
                do {
                    return try KafkaProducer(configuration: configuration, logger: logger)
                } catch let error as KafkaError {
                    var error = error
                    if let property = error.property, let position = socket.position(ofProperty: property) {
                        error.position = position
                    }
                    error.message = "socket \(socket): \(error.message)"
                    throw error
                } catch {
                    throw KafkaError(code: .failure, message: "socket \(socket): \(error)")
                }
            },
            store: { state, producer in state.socketProducers[configuration] = producer })
    }

    /// The producer of a broker (see ``producer(for:)-(KafkaSocket)``).
    public func producer(for broker: KafkaBrokerSpec) throws(KafkaError) -> KafkaProducer {
        do {
            return try producer(for: broker.socket)
        } catch {
            var error = error
            error.message = "broker '\(broker.id)': \(error.message)"
            if let file = broker.file {
                error.file = file
                error.line = broker.line
                error.position = nil
            }
            throw error
        }
    }

    /// Hands a record to a connection's producer without waiting (the seed's
    /// `ast_kafka_produce`). A full local queue fails at once.
    @discardableResult
    public func produce(connection name: String, topic: String, key: [UInt8]?, payload: [UInt8]) throws -> KafkaProducerMessageID {
        try producer(for: name).trySend(KafkaProducerRecord(topic: topic, key: key, value: payload))
    }

    /// Replaces the configuration. Producers of connections whose settings did not change keep
    /// running; the others are flushed (up to their shutdown timeout) and shut down. Socket
    /// producers are kept: they stand for their broker list and properties, not for a name.
    public func reload(_ file: KafkaConnectionsFile) async {
        let retired: [KafkaProducer] = state.withLock { state in
            var retired: [KafkaProducer] = []
            for (name, producer) in state.producers {
                let old = state.file.connection(named: name)
                let new = file.connection(named: name)
                if !file.isEnabled || new == nil || old?.configuration != new?.configuration {
                    retired.append(producer)
                    state.producers[name] = nil
                }
            }
            state.file = file
            return retired
        }
        for producer in retired { await producer.shutdown() }
    }

    /// Flushes and shuts down every producer, all at once, each for up to `timeout` (by default
    /// its configuration's shutdown timeout); what is still undelivered then is purged and
    /// reported as failed. Later requests for a producer fail with
    /// `KafkaKit/KafkaError/Code/destroyed`.
    ///
    /// - Returns: how many messages were purged.
    @discardableResult
    public func shutdown(timeout: Duration? = nil) async -> Int {
        let all = state.withLock { state in
            defer {
                state.isShutDown = true
                state.producers.removeAll()
                state.socketProducers.removeAll()
            }
            return Array(state.producers.values) + Array(state.socketProducers.values)
        }
        return await withTaskGroup(of: Int.self) { group in
            for producer in all { group.addTask { await producer.shutdown(timeout: timeout) } }
            return await group.reduce(0, +)
        }
    }
}
