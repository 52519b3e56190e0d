import CLibrdkafka
import Dispatch
public import Logging
import Synchronization

/// A consumer of explicit partitions without group membership — the KafkaTcl binding's model
/// (`consume_start`, `consume`, `consume_batch`, `consume_start_queue`, `consume_stop`).
///
/// Reads never hold a thread while they wait, and never wait for each other: each started
/// partition (and each ``KafkaMessageQueue``) is read with non-blocking takes, and a read that
/// finds nothing suspends until librdkafka signals that the partition's queue is no longer empty,
/// or its timeout passes. A read of one partition with a message ready returns at once, however
/// many reads wait on others.
///
/// ```swift
/// let consumer = try KafkaPartitionConsumer(configuration: configuration)
/// try consumer.start(topic: "orders", partition: 0, at: .beginning)
/// while let message = try await consumer.consume(topic: "orders", partition: 0, timeout: .seconds(1)) {
///     print(message.offset, message.valueString ?? "")
/// }
/// ```
public final class KafkaPartitionConsumer: Sendable {
    let client: RDKafkaClient
    private let state = Mutex(State())
    /// `process` spans (``withSpan(for:isolation:_:)``); `nil` when tracing is off.
    let tracing: RDKafkaConsumerTracing?

    private struct State {
        var topics: [String: RDKafkaTopic] = [:]
        var started: [PartitionKey: RDKafkaStartedPartition] = [:]
    }

    struct PartitionKey: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    /// Creates a partition consumer. `group.id` is only needed to start at ``KafkaOffset/stored``.
    public init(configuration: KafkaConfiguration, logger: Logger = KafkaConsumer.defaultLogger) throws {
        var configuration = configuration
        configuration.applyConsumerDefaults()
        client = try RDKafkaClient(
            type: RD_KAFKA_CONSUMER, configuration: configuration, events: 0, logger: logger, logsOnMainQueue: false,
            metrics: RDKafkaMetrics.make(configuration, kind: .partitionConsumer, logger: logger))
        tracing = configuration.tracing.map { RDKafkaConsumerTracing(options: $0, configuration: configuration) }
    }

    /// Started partitions are stopped before the client is destroyed (destroying blocks
    /// otherwise when a `group.id` is set) — on the blocking executor, as stopping blocks.
    deinit {
        let started = state.withLock { Array($0.started.values) }
        guard !started.isEmpty else { return }
        let stopAll: @Sendable () -> Void = {
            for partition in started {
                _ = partition.stopBlocking()
                partition.waiter?.close()
            }
        }
        if RDKafkaBlockingExecutor.isPoolThread { stopAll() } else { RDKafkaBlockingExecutor.shared.submit(stopAll) }
    }

    // MARK: Starting and stopping

    /// Starts fetching a partition at `offset`; read it with ``consume(topic:partition:timeout:)-(_,KafkaPartition,_)``
    /// or ``consumeBatch(topic:partition:maxCount:timeout:)-(_,KafkaPartition,_,_)``.
    ///
    /// - Throws: ``KafkaError`` if the partition is already started, or librdkafka refuses.
    public func start(topic: String, partition: KafkaPartition, at offset: KafkaOffset) throws {
        let key = try startable(topic, partition, offset)
        let rkt = self.topic(topic)
        guard rd_kafka_consume_start(rkt.handle, key.partition, offset.rawValue) == 0 else {
            throw KafkaError.lastError("starting", topic, key.partition)
        }
        guard let handle = rd_kafka_queue_get_partition(client.handle, topic, key.partition) else {
            rd_kafka_consume_stop(rkt.handle, key.partition)
            throw KafkaError(code: .failure, message: "starting \(topic)[\(key.partition)]: librdkafka has no queue for it", topic: topic)
        }
        let waiter = RDKafkaQueueWaiter(queue: RDKafkaQueue(client: client, handle: handle))
        state.withLock { $0.started[key] = RDKafkaStartedPartition(topic: rkt, partition: key.partition, waiter: waiter, start: offset) }
    }

    /// Starts fetching a partition into `queue`, where several partitions are read together.
    ///
    /// - Throws: ``KafkaError`` if the partition is already started, the queue belongs to
    ///   another consumer, or librdkafka refuses.
    public func start(topic: String, partition: KafkaPartition, at offset: KafkaOffset, queue: KafkaMessageQueue) throws {
        guard queue.consumer === self else {
            throw KafkaError(code: .invalidArgument, message: "starting \(topic)[\(partition)]: the queue belongs to another consumer", topic: topic)
        }
        let key = try startable(topic, partition, offset)
        let rkt = self.topic(topic)
        guard rd_kafka_consume_start_queue(rkt.handle, key.partition, offset.rawValue, queue.waiter.queue.handle) == 0 else {
            throw KafkaError.lastError("starting", topic, key.partition)
        }
        let started = RDKafkaStartedPartition(topic: rkt, partition: key.partition, waiter: nil)
        state.withLock { $0.started[key] = started }
        queue.routed(started)
    }

    /// Stops fetching a partition; messages fetched but not read are dropped. Reads waiting on
    /// it end, throwing that it is not started.
    public func stop(topic: String, partition: KafkaPartition) async throws {
        guard let started = removeStarted(topic: topic, partition: partition.rawValue) else {
            throw KafkaError.notStarted(topic, partition.rawValue)
        }
        started.waiter?.close()
        if let error = await runBlocking({ started.stopBlocking() }) { throw error }
    }

    // MARK: Reading

    /// The next message of a started partition, or `nil` if none came within `timeout` (or the
    /// partition's end was reached, with `enable.partition.eof`).
    ///
    /// - Throws: ``KafkaError`` if the partition was not started (``KafkaError/Code/invalidState``),
    ///   its topic does not have it (``KafkaError/Code/unknownPartition``, known from the cluster's
    ///   metadata, asked once by the first read that has to wait), its topic does not exist
    ///   (retriable `UNKNOWN_TOPIC_OR_PART`, once the timeout passed with nothing read), or
    ///   librdkafka reports an error for it; `CancellationError` if the task is cancelled while
    ///   waiting. A zero timeout never waits, so it checks nothing.
    public func consume(topic: String, partition: KafkaPartition, timeout: Duration) async throws -> KafkaConsumerMessage? {
        try await consumeNoting(topic: topic, partition: partition, timeout: timeout).message
    }

    /// As ``consume(topic:partition:timeout:)-(_,KafkaPartition,_)``, and says whether the read ended at the end of
    /// the partition (with `enable.partition.eof`) rather than on its timeout.
    package func consumeNoting(topic: String, partition: KafkaPartition, timeout: Duration) async throws -> (message: KafkaConsumerMessage?, reachedEnd: Bool) {
        let deadline = Self.deadline(after: timeout)
        let started = try direct(topic, partition)
        let waiter = started.waiter!
        let collector = RDKafkaMessageCollector(capacity: 1)
        var topicMissing = false
        let ended = try await waiter.read(until: deadline, beforeFirstWait: { topicMissing = try await started.checkExists(until: deadline) }) {
            try started.take(into: collector)
            return collector.isFull || collector.firstError != nil || collector.reachedEndOfPartition
        }
        try Self.throwIfNothing(
            collector, ended, closed: .notStarted(topic, started.partition),
            missingTopic: topicMissing ? .missingTopic(topic, started.partition) : nil)
        return (collector.makeMessage(client: client), collector.reachedEndOfPartition)
    }

    /// Up to `maxCount` messages (at most 65 536 at once) of a started partition: as many as arrive within `timeout`
    /// (fewer, or none, when the timeout passes first).
    ///
    /// - Throws: as ``consume(topic:partition:timeout:)-(_,KafkaPartition,_)``; an error message librdkafka delivers
    ///   ends the batch, and is thrown only if no message came before it.
    public func consumeBatch(topic: String, partition: KafkaPartition, maxCount: Int, timeout: Duration) async throws -> KafkaConsumerBatch {
        let deadline = Self.deadline(after: timeout)
        let started = try direct(topic, partition)
        let waiter = started.waiter!
        let collector = RDKafkaMessageCollector(capacity: maxCount)
        var topicMissing = false
        let ended = try await waiter.read(until: deadline, beforeFirstWait: { topicMissing = try await started.checkExists(until: deadline) }) {
            try started.take(into: collector)
            return collector.isFull || collector.firstError != nil
        }
        try Self.throwIfNothing(
            collector, ended, closed: .notStarted(topic, started.partition),
            missingTopic: topicMissing ? .missingTopic(topic, started.partition) : nil)
        return collector.makeBatch(client: client)
    }

    /// A queue to route several partitions into (``start(topic:partition:at:queue:)-(_,KafkaPartition,_,_)``).
    public func makeQueue() -> KafkaMessageQueue {
        KafkaMessageQueue(waiter: RDKafkaQueueWaiter(queue: RDKafkaQueue(newOn: client)), consumer: self)
    }

    /// Cluster metadata as this consumer sees it (all topics, or one).
    public func metadata(topic: String? = nil, timeout: Duration = .seconds(10)) async throws -> KafkaMetadata {
        try await client.metadata(topic: topic, timeout: timeout)
    }

    // MARK: Plumbing

    func topic(_ name: String) -> RDKafkaTopic {
        state.withLock { state in
            if let topic = state.topics[name] { return topic }
            let topic = RDKafkaTopic(client: client, name: name)
            state.topics[name] = topic
            return topic
        }
    }

    /// Makes the handle of `name` with its own topic configuration (see ``configureTopic(_:properties:)``).
    func configure(_ name: String, _ properties: [String: String]) throws(KafkaError) {
        try state.withLock { (state) throws(KafkaError) in
            if let existing = state.topics[name] {
                guard existing.properties == properties else {
                    throw KafkaError(
                        code: .invalidState,
                        message: "topic \(name) is already in use with another configuration; librdkafka cannot change it", topic: name)
                }
                return
            }
            state.topics[name] = try RDKafkaTopic(client: client, name: name, properties: properties)
        }
    }

    /// Forgets a started partition: reads of it now throw that it is not started.
    func removeStarted(topic: String, partition: Int32) -> RDKafkaStartedPartition? {
        state.withLock { $0.started.removeValue(forKey: PartitionKey(topic: topic, partition: partition)) }
    }

    /// The key of a partition that may be started at `offset`.
    private func startable(_ topic: String, _ partition: KafkaPartition, _ offset: KafkaOffset) throws -> PartitionKey {
        if let error = KafkaError.invalidTopicName(topic) { throw error }
        guard partition.rawValue >= 0 else {
            throw KafkaError(code: .invalidArgument, message: "starting \(topic)[\(partition)]: a partition number is needed", topic: topic)
        }
        guard offset.isValidStart else {
            throw KafkaError(code: .invalidArgument, message: "starting \(topic)[\(partition)]: cannot start at offset \(offset)", topic: topic)
        }
        let key = PartitionKey(topic: topic, partition: partition.rawValue)
        guard state.withLock({ $0.started[key] == nil }) else {
            throw KafkaError(code: .invalidState, message: "starting \(topic)[\(partition)]: the partition is already started", topic: topic)
        }
        return key
    }

    /// A partition started to be read directly.
    private func direct(_ topic: String, _ partition: KafkaPartition) throws -> RDKafkaStartedPartition {
        guard let started = state.withLock({ $0.started[PartitionKey(topic: topic, partition: partition.rawValue)] }) else {
            throw KafkaError.notStarted(topic, partition.rawValue)
        }
        guard started.waiter != nil else { throw KafkaError.routedToQueue(topic, partition.rawValue) }
        return started
    }

    static func deadline(after timeout: Duration) -> DispatchTime {
        .now() + .milliseconds(Int(timeout.timeoutMilliseconds))
    }

    /// Ends a read that collected nothing: throws the error message taken, that the partition
    /// was stopped (`closed`), that the task was cancelled, or — on a timeout, with
    /// `missingTopic` — that the topic does not exist; returns on a plain timeout.
    static func throwIfNothing(
        _ collector: RDKafkaMessageCollector,
        _ ended: RDKafkaQueueWake?,
        closed: @autoclosure () -> KafkaError,
        missingTopic: @autoclosure () -> KafkaError? = nil
    ) throws {
        guard collector.count == 0 else { return }
        if let error = collector.firstError { throw error }
        switch ended {
        case .closed: throw closed()
        case .cancelled: throw CancellationError()
        case .timedOut: if let error = missingTopic() { throw error }
        case nil, .ready: return
        }
    }
}

/// A started partition: its topic handle, and — read directly, not through a queue — the
/// waiter of its own fetch queue.
final class RDKafkaStartedPartition: Sendable {
    let topic: RDKafkaTopic
    let partition: Int32
    let waiter: RDKafkaQueueWaiter?
    /// Whether the cluster's metadata showed the partition: checked once, when a read first has
    /// to wait, as librdkafka reports nothing for a partition its topic does not have.
    private let existence = Mutex(Existence.unknown)

    private enum Existence {
        case unknown, exists
        case missing(KafkaError)
    }

    /// For a start at an absolute offset, that offset: messages below it are dropped.
    ///
    /// librdkafka 2.14 (seen with its debug log): a partition started at `beginning` and
    /// stopped while its ListOffsets request is out gets the answer as "outdated" after the
    /// next start, and arms an offset-query timer that no stop cancels; when it fires, a later
    /// start at an absolute offset is reset to `beginning` and fetched from there. Dropping
    /// what lies below the offset asked for keeps the reads right (at the cost of the refetch).
    let minimumOffset: Int64

    init(topic: RDKafkaTopic, partition: Int32, waiter: RDKafkaQueueWaiter?, start: KafkaOffset = .invalid) {
        self.topic = topic
        self.partition = partition
        self.waiter = waiter
        self.minimumOffset = max(start.rawValue, -1)
    }

    /// Stops fetching the partition (blocking: run it on the blocking executor). A partition
    /// read directly also has its fetch queue emptied: librdkafka's stop leaves a barrier there
    /// that holds the partition, and with it the topic, until the queue is read again — so a
    /// partition stopped for good, or one its topic does not have, was never freed, not even by
    /// `rd_kafka_destroy` (about 3 KB a stop; LeakSanitizer showed it, `make sanitize`).
    func stopBlocking() -> KafkaError? {
        let error = rd_kafka_consume_stop(topic.handle, partition) == 0 ? nil : KafkaError.lastError("stopping", topic.name, partition)
        if let waiter { Self.discardAll(of: waiter.queue) }
        return error
    }

    /// Takes, without waiting, whatever `queue` holds and destroys it: messages fetched before a
    /// stop are dropped, as ``KafkaPartitionConsumer/stop(topic:partition:)`` says.
    private static func discardAll(of queue: RDKafkaQueue) {
        withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<rd_kafka_message_t>?.self, capacity: 64) { slots in
            while true {
                let taken = rd_kafka_consume_batch_queue(queue.handle, 0, slots.baseAddress, slots.count)
                for i in 0..<max(0, taken) { rd_kafka_message_destroy(slots[i]) }
                if taken < slots.count { return }
            }
        }
    }

    /// A non-blocking take of what the partition's queue holds, up to the collector's room.
    func take(into collector: RDKafkaMessageCollector) throws {
        if case .missing(let error) = existence.withLock({ $0 }) { throw error }
        guard collector.take(minimumOffset: minimumOffset, { rd_kafka_consume_batch(topic.handle, partition, 0, $0, $1) }) else {
            throw KafkaError.lastError("consuming", topic.name, partition)
        }
    }

    /// Throws if the cluster's metadata shows the topic without this partition; returns `true`
    /// if it shows no such topic (which may be created yet: the read goes on, and throws only
    /// if nothing came by its deadline). A failed metadata request proves nothing.
    func checkExists(until deadline: DispatchTime) async throws -> Bool {
        guard case .unknown = existence.withLock({ $0 }) else { return false }
        switch await RDKafkaStartedPartition.presence(of: topic, until: deadline) {
        case .unknown:
            return false
        case .missingTopic:
            return true
        case .partitions(let count):
            let known: Existence = partition < count ? .exists : .missing(.missingPartition(topic.name, partition, partitionCount: count))
            existence.withLock { $0 = known }
            if case .missing(let error) = known { throw error }
            return false
        }
    }

    /// What the cluster's metadata shows of a topic.
    enum Presence {
        case partitions(Int)
        case missingTopic
        /// The request failed, or the topic has another error: nothing is known.
        case unknown
    }

    /// Asks the cluster (on the blocking executor, within the deadline, at most 5 s) about `topic`.
    static func presence(of topic: RDKafkaTopic, until deadline: DispatchTime) async -> Presence {
        let remaining = Int64(deadline.uptimeNanoseconds) - Int64(DispatchTime.now().uptimeNanoseconds)
        let timeout = Duration.nanoseconds(min(max(remaining, 1_000_000), 5_000_000_000))
        let client = topic.client
        let name = topic.name
        guard case .success(let metadata) = await runBlocking({ client.metadataBlocking(topic: name, timeout: timeout) }) else {
            return .unknown
        }
        guard let found = metadata.topic(name), found.error != .unknownTopicOrPartition else { return .missingTopic }
        guard found.error == nil, !found.partitions.isEmpty else { return .unknown }
        return .partitions(found.partitions.count)
    }
}
