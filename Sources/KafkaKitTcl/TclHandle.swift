import CTcl
import KafkaKit
import Logging
import Synchronization

/// A producer or consumer handle (`$master producer_creator NAME`, `consumer_creator NAME`):
/// one librdkafka client, the topics made from it, and the events it reports to Tcl.
final class TclHandle: TclCommand {
    enum Client {
        case producer(KafkaProducer)
        case consumer(KafkaPartitionConsumer)
    }

    let client: Client
    let callbacks: TclCallbacks
    let inbox: TclInbox<TclHandleEvent>
    /// The handle's topic configuration (`$handle config`), given to the topics it makes.
    var topicProperties: [String: String] = [:]
    /// Metadata kept for `info` until `meta refresh`.
    let metadataCache: TclMetadataCache

    /// Reports not yet handed to Tcl that make `produce` fail as if the queue were full: the
    /// event loop (`vwait`, `update`) must run for them to drain.
    static let waitingReportLimit = 100_000
    /// How long deleting a producer waits for its messages before purging (and reporting) the rest.
    static let deleteFlushTimeout: Duration = .seconds(10)

    private init(interp: TclInterp, name: String, client: Client, callbacks: TclCallbacks, inbox: TclInbox<TclHandleEvent>) {
        self.client = client
        self.callbacks = callbacks
        self.inbox = inbox
        metadataCache = TclMetadataCache { () async throws -> KafkaMetadata in
            switch client {
            case .producer(let p): try await p.metadata(timeout: .seconds(5))
            case .consumer(let c): try await c.metadata(timeout: .seconds(5))
            }
        }
        super.init(interp: interp, name: name)
        inbox.deliver = { [weak self] events in self?.deliver(events) }
    }

    static func logger(_ callbacks: TclCallbacks, _ inbox: TclInbox<TclHandleEvent>, name: String, threshold: TclLogThreshold) -> Logger {
        let destination = callbacks.logDestination
        return Logger(label: "KafkaKitTcl") { _ in
            TclLogHandler(destination: destination, client: name, threshold: threshold, post: { line in
                // Log lines for a callback wait for the event loop; a script that never runs
                // it (with debug logging on) must not grow them without bound.
                if inbox.waiting < TclHandle.waitingReportLimit { inbox.post(.log(line)) }
            })
        }
    }

    /// The handle's `log_level`.
    var logThreshold = TclLogThreshold()

    static func makeProducer(interp: TclInterp, name: String, master: TclMaster) throws(TclError) -> TclHandle {
        let inbox = TclInbox<TclHandleEvent>(deliver: { _ in })
        let threshold = TclLogThreshold()
        let producer = try kafka {
            try KafkaProducer(configuration: master.configuration, logger: logger(master.callbacks, inbox, name: name, threshold: threshold)) { event in
                switch event {
                case .deliveryReports(let reports):
                    let failed = reports.lazy.filter { !$0.isDelivered }.map { TclHandleEvent.failedDelivery($0) }
                    if !failed.isEmpty { inbox.post(Array(failed)) }
                case .error(let error): inbox.post(.error(error))
                case .statistics(let json): inbox.post(.statistics(json))
                }
            }
        }
        let handle = TclHandle(interp: interp, name: name, client: .producer(producer), callbacks: master.callbacks, inbox: inbox)
        handle.logThreshold = threshold
        TclLiveProducers.add(handle)
        handle.register()
        return handle
    }

    static func makeConsumer(interp: TclInterp, name: String, master: TclMaster) throws(TclError) -> TclHandle {
        let inbox = TclInbox<TclHandleEvent>(deliver: { _ in })
        let threshold = TclLogThreshold()
        var configuration = master.configuration
        // KafkaTcl's librdkafka reported the end of a partition by default, and its scripts
        // loop `while {[$topic consume P T a]}` until `consume` returns 0 there.
        if configuration.properties["enable.partition.eof"] == nil { configuration.properties["enable.partition.eof"] = "true" }
        let consumer = try kafka {
            try KafkaPartitionConsumer(configuration: configuration, logger: logger(master.callbacks, inbox, name: name, threshold: threshold))
        }
        let handle = TclHandle(interp: interp, name: name, client: .consumer(consumer), callbacks: master.callbacks, inbox: inbox)
        handle.logThreshold = threshold
        handle.register()
        return handle
    }

    var producer: KafkaProducer? { if case .producer(let p) = client { p } else { nil } }
    var consumer: KafkaPartitionConsumer? { if case .consumer(let c) = client { c } else { nil } }

    static let subcommands = [
        "name", "new_topic", "log_level", "add_brokers", "create_queue", "output_queue_length", "meta", "info",
        "config", "partitioner", "delete",
    ]

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, "subcommand ?args?") }
        let sub = args.string(1)
        switch sub {
        case "name":
            try args.expect(2, words: 2, "")
            return Tcl.new(producer?.clientName ?? consumer!.clientName)
        case "new_topic":
            try args.expect(4, words: 2, "cmdName topic")
            let topic = args.string(3)
            // Once per topic object: librdkafka takes any name, and the broker refuses a bad
            // one only message by message.
            if let error = KafkaError.invalidTopicName(topic) { throw TclError(error) }
            let name = TclAutoName.resolve(interp, args.string(2), prefix: "kafka_topic")
            let command: TclCommand
            switch client {
            case .producer(let producer):
                if !topicProperties.isEmpty { try kafka { try producer.configureTopic(topic, properties: topicProperties) } }
                command = TclTopicProducer(interp: interp, name: name, handle: self, topic: topic)
            case .consumer(let consumer):
                if !topicProperties.isEmpty { try kafka { try consumer.configureTopic(topic, properties: topicProperties) } }
                command = TclTopicConsumer(interp: interp, name: name, handle: self, topic: topic)
            }
            command.register()
            return Tcl.new(command.qualifiedName)
        case "log_level":
            try args.expect(3, words: 2, "level")
            let word = args.string(2)
            guard let level = Self.logLevels.firstIndex(of: word) else { throw .badWord("logLevel", word, Self.logLevels) }
            logThreshold.level = Int32(level)
            producer?.setLibrdkafkaLogLevel(Int32(level))
            consumer?.setLibrdkafkaLogLevel(Int32(level))
        case "add_brokers":
            try args.expect(3, words: 2, "brokerList")
            let brokers = try args.list(2).map(Tcl.string)
            guard !brokers.isEmpty else { throw TclError("Broker list must contain at least one element", errorCode: ["KAFKA", "ARGS"]) }
            // librdkafka would take "host:x" as port 0.
            if let (message, _) = KafkaError.brokerListProblem(brokers.joined(separator: ",")) {
                throw TclError("add_brokers: \(message)", errorCode: ["KAFKA", "ARGS"])
            }
            let added = producer?.addBrokers(brokers.joined(separator: ",")) ?? consumer!.addBrokers(brokers.joined(separator: ","))
            guard added > 0 else { throw TclError("No valid brokers specified", errorCode: ["KAFKA", "ARGS"]) }
        case "create_queue":
            try args.expect(3, words: 2, "command")
            guard let consumer else { throw TclError("create_queue: \(name) is a producer handle; queues collect consumed messages", errorCode: ["KAFKA", "ARGS"]) }
            let queue = TclQueue(interp: interp, name: TclAutoName.resolve(interp, args.string(2), prefix: "kafka_queue"), handle: self, queue: consumer.makeQueue())
            queue.register()
            return Tcl.new(queue.qualifiedName)
        case "output_queue_length":
            try args.expect(2, words: 2, "")
            return Tcl.new(producer?.outputQueueLength ?? 0)
        case "meta":
            return try metadataCache.meta(args)
        case "info":
            return try metadataCache.info(args)
        case "config":
            var configuration = KafkaConfiguration()
            configuration.properties = [:]
            configuration.topicProperties = topicProperties
            let result = try TclMaster.configure(args, &configuration, scope: .topic)
            topicProperties = configuration.topicProperties
            return result
        case "partitioner":
            try args.expect(3, words: 2, "name")
            let word = args.string(2)
            guard KafkaConfiguration.Partitioner(rawValue: word) != nil else {
                throw .badWord("partitioner", word, KafkaConfiguration.Partitioner.allCases.map(\.rawValue))
            }
            topicProperties["partitioner"] = word
        case "delete":
            try args.expect(2, words: 2, "")
            deleteCommand()
        default:
            throw .badWord("option", sub, Self.subcommands)
        }
        return nil
    }

    static let logLevels = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    // MARK: Metadata

    /// The partition count of `topic` (see ``TclMetadataCache``).
    func partitionCount(_ topic: String) throws(TclError) -> Int { try metadataCache.partitionCount(topic) }

    // MARK: Events

    /// On the interpreter's thread: one event's worth of reports, errors, statistics, log lines.
    func deliver(_ events: [TclHandleEvent]) {
        callbacks.deliver(events, interp: interp, client: name)
    }

    // MARK: Deleting

    override func commandDeleted() {
        switch client {
        case .producer(let producer):
            TclLiveProducers.remove(self)
            // Every message gets its outcome: flush within a bound, purge the rest (each purged
            // message is reported), then hand the last reports to Tcl right here.
            _ = try? TclBlocking.run { await producer.shutdown(timeout: TclHandle.deleteFlushTimeout) }
            if Tcl_InterpDeleted(interp) != 0 {
                // The interpreter is going: no callback can run; failures go to stderr.
                for event in inbox.close() { TclCallbacks.writeFailure(event, client: name) }
            } else {
                inbox.deliverNow()
            }
        case .consumer:
            break
        }
        inbox.deliver = { _ in }
        _ = inbox.close()
    }
}

/// Producers not yet deleted, shut down (flushed within a bound) when the process exits.
enum TclLiveProducers {
    private struct Live: Sendable {
        let producer: KafkaProducer
        let inbox: TclInbox<TclHandleEvent>
        let name: String
    }

    private static let producers = Mutex<[ObjectIdentifier: Live]>([:])

    static func add(_ handle: TclHandle) {
        guard let producer = handle.producer else { return }
        let live = Live(producer: producer, inbox: handle.inbox, name: handle.name)
        producers.withLock { $0[ObjectIdentifier(handle)] = live }
    }

    static func remove(_ handle: TclHandle) {
        _ = producers.withLock { $0.removeValue(forKey: ObjectIdentifier(handle)) }
    }

    /// At exit: flushes every producer left. Tcl can no longer run callbacks then, so the
    /// failed deliveries among the reports that never reached Tcl are written to stderr.
    static func shutdownAll() {
        let all = producers.withLock { producers in
            defer { producers = [:] }
            return Array(producers.values)
        }
        // All at once: the bound is one flush timeout, however many producers are left.
        let producers = all.map(\.producer)
        _ = try? TclBlocking.run {
            await withTaskGroup(of: Void.self) { group in
                for producer in producers { group.addTask { _ = await producer.shutdown(timeout: TclHandle.deleteFlushTimeout) } }
            }
        }
        for live in all {
            for event in live.inbox.close() { TclCallbacks.writeFailure(event, client: live.name, when: " at exit") }
        }
    }
}
