import CLibrdkafka
import Foundation
public import Logging
public import ServiceLifecycle

/// A Kafka group consumer on librdkafka.
///
/// Messages arrive on ``messages`` (one by one) or ``batches`` (in bulk) — use one of the two.
/// The reader takes them from librdkafka in batches without ever blocking a thread (it
/// suspends while none are there), so the per-message cost is tiny and the cooperative pool is
/// never blocked. Like any Kafka consumer, it makes progress — rebalances included — while you
/// read: librdkafka's callbacks are served as messages are taken. Rebalances, commits, errors
/// and statistics arrive on ``events``.
///
/// ```swift
/// var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:9092"])
/// configuration["group.id"] = "billing"
/// let consumer = try KafkaConsumer(configuration: configuration)
/// try consumer.subscribe(topics: ["orders"])
/// for await message in consumer.messages {
///     print(message.offset, message.valueString ?? "<tombstone>")
/// }
/// ```
///
/// Delivery: at-least-once by default. KafkaKit turns librdkafka's offset store
/// (`enable.auto.offset.store`) off and stores a record's offset once you have moved past it —
/// asked for the next record after a batch, committed, or closed the consumer after it — so
/// auto-commit never commits a record you were not handed, and a crash re-delivers at most the
/// batch you were in (proven by `ConsumerAtLeastOnceTests`). `break` out of a loop and a later
/// loop continues with the next record; the records you did not get are neither lost nor
/// committed. To decide yourself what is processed, set `enable.auto.offset.store=false` and
/// call ``storeOffset(_:)`` after processing each message.
///
/// Handing a record to your loop counts as polling for `max.poll.interval.ms`: a slow record
/// handler keeps its partitions as long as it moves on within the interval.
///
/// Defaults that differ from librdkafka's: `fetch.queue.backoff.ms=10` (librdkafka's 1000 ms
/// stalls a fast consumer for a second each time its local queue reached
/// `queued.min.messages`).
///
/// Hot loops: ``messages`` never suspends within a batch and takes no lock per message. A loop
/// in main-actor code (top-level `main.swift`, a `@MainActor` type) still pays Swift's executor
/// check after every `await` — about 5 % of the CPU at 1.5 M messages/s here. Put a hot loop in a
/// nonisolated `async` function instead:
///
/// ```swift
/// func process(_ consumer: KafkaConsumer) async {
///     for await message in consumer.messages { handle(message) }
/// }
/// await process(consumer)   // from main.swift
/// ```
public final class KafkaConsumer: Sendable, Service {
    let core: RDKafkaConsumerCore
    /// `process` spans (``withSpan(for:isolation:_:)``); `nil` when tracing is off.
    let tracing: RDKafkaConsumerTracing?

    /// Rebalances, commit results, errors and statistics. Kept only while you iterate it,
    /// then bounded with back-pressure; otherwise logged (see ``KafkaConsumerEvents``).
    public var events: KafkaConsumerEvents { KafkaConsumerEvents(buffer: core.events) }

    /// Creates a consumer of the group named by the `group.id` property.
    ///
    /// - Throws: ``KafkaError`` naming a property librdkafka rejected, or `group.id` if missing.
    public init(configuration: KafkaConfiguration, logger: Logger = KafkaConsumer.defaultLogger) throws {
        self.core = try RDKafkaConsumerCore(configuration: configuration, logger: logger)
        self.tracing = configuration.tracing.map { RDKafkaConsumerTracing(options: $0, configuration: configuration) }
        core.start()
    }

    deinit {
        let core = self.core
        guard !core.isStopping else { return }
        RDKafkaBlockingExecutor.shared.submit { core.stopBlocking() }
    }

    /// A logger that discards everything.
    public static let defaultLogger = Logger(label: "KafkaKit.consumer", factory: { _ in SwiftLogNoOpLogHandler() })

    var handle: OpaquePointer { core.client.handle }

    // MARK: Subscription and assignment

    /// Joins the group for these topics; a name starting with `^` is a regular expression
    /// matched against all topics (librdkafka's syntax).
    ///
    /// - Throws: ``KafkaError`` for an empty list, a name Kafka does not allow for a topic
    ///   (naming it), or a pattern librdkafka cannot compile.
    public func subscribe(topics: [String]) throws {
        guard !topics.isEmpty else {
            throw KafkaError(code: .invalidArgument, message: "subscribing to no topics: name at least one (unsubscribe() leaves the subscription)")
        }
        // Checked here: librdkafka takes any name, and then reports "Subscribed topic not
        // available" — as for a topic that is merely missing.
        if let error = topics.lazy.filter({ !$0.hasPrefix("^") }).compactMap(KafkaError.invalidTopicName).first {
            throw error
        }
        let list = RDKafkaTopicPartitionList.make(topics.map { KafkaTopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_subscribe(handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            // The names are valid by now: what librdkafka refuses is a pattern.
            let why = err == RD_KAFKA_RESP_ERR__INVALID_ARG && topics.contains(where: { $0.hasPrefix("^") })
                ? "a '^' pattern is not a valid regular expression" : KafkaError.Code(err).explanation
            throw KafkaError(err, message: "subscribing to \(topics): \(why)")
        }
    }

    /// Leaves the group's subscription: the assigned partitions are revoked.
    public func unsubscribe() throws {
        let err = rd_kafka_unsubscribe(handle)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
    }

    /// The topics (and `^` patterns) this consumer is subscribed to.
    public func subscription() throws -> [String] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? = nil
        let err = rd_kafka_subscription(handle, &list)
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
        return RDKafkaTopicPartitionList.read(list).map(\.topic)
    }

    /// Reads exactly these partitions, from their offsets, without group membership.
    public func assign(_ partitions: [KafkaTopicPartition]) throws {
        if let error = partitions.lazy.compactMap({ KafkaError.invalidTopicName($0.topic) }).first { throw error }
        let list = RDKafkaTopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? = nil
        let err = rd_kafka_assignment(handle, &list)
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
        return RDKafkaTopicPartitionList.read(list)
    }

    // MARK: Messages

    /// The consumed messages, one at a time. Ends when the consumer is closed. Every loop
    /// continues where the last one stopped.
    public var messages: KafkaConsumerMessages { KafkaConsumerMessages(core: core) }

    /// The consumed messages in the batches librdkafka delivered. Ends when the consumer is closed.
    public var batches: KafkaConsumerBatches { KafkaConsumerBatches(core: core) }

    // MARK: Offsets

    /// Marks a processed message for the next (auto-)commit: its offset + 1 is stored.
    /// Use with `enable.auto.offset.store=false` for at-least-once processing.
    ///
    /// Throws ``KafkaError/Code/assignmentLost`` if the message's partition was revoked after
    /// the message was read: the new owner reads it again, and nothing is stored.
    public func storeOffset(_ message: KafkaConsumerMessage) throws {
        try core.checkNotStale(message)
        try storeOffsets([message.nextPosition])
    }

    /// Stores offsets (the next offset to read, per partition) for the next (auto-)commit.
    public func storeOffsets(_ offsets: [KafkaTopicPartition]) throws {
        let list = RDKafkaTopicPartitionList.make(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_store(handle, list)
        if let error = RDKafkaTopicPartitionList.firstError(list) { throw error }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
    }

    /// Commits the position after `message` and waits for the group coordinator's answer.
    ///
    /// Throws ``KafkaError/Code/assignmentLost`` if the message's partition was revoked after
    /// the message was read (a rebalance while you held it): the group's committed offset is
    /// left for the new owner, which reads the message again — committing it here could move
    /// that owner's committed offset backwards.
    public func commit(_ message: KafkaConsumerMessage) async throws {
        try core.checkNotStale(message)
        try await commit([message.nextPosition])
    }

    /// Commits these offsets (the next offset to read, per partition) and waits for the answer.
    public func commit(_ offsets: [KafkaTopicPartition]) async throws {
        try await commitBlocking(offsets)
    }

    /// Commits the stored offsets of every assigned partition and waits for the answer:
    /// by default every record handed to the application so far (calling this says you are
    /// done with them); with `enable.auto.offset.store=false`, what you stored. Nothing to
    /// commit is not an error.
    public func commitConsumed() async throws {
        core.storeOutstanding()
        try await commitBlocking(nil)
    }

    /// Starts a commit of these offsets (or, with `nil`, of all stored offsets) and returns at
    /// once; the result arrives as ``KafkaConsumerEvent/offsetsCommitted(_:_:)``.
    public func commitAsync(_ offsets: [KafkaTopicPartition]? = nil) throws {
        if offsets == nil { core.storeOutstanding() }
        let list = offsets.map(RDKafkaTopicPartitionList.make)
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        let err = rd_kafka_commit(handle, list, 1)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET else { throw KafkaError(err) }
    }

    private func commitBlocking(_ offsets: [KafkaTopicPartition]?) async throws {
        let handle = UncheckedHandle(self.handle)
        let core = self.core
        let error: KafkaError? = await runBlocking {
            _ = core  // the handle lives as long as the core
            let list = offsets.map(RDKafkaTopicPartitionList.make)
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            let err = rd_kafka_commit(handle.pointer, list, 0)
            if let error = RDKafkaTopicPartitionList.firstError(list) { return error }
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET else { return KafkaError(err) }
            return nil
        }
        if let error { throw error }
    }

    /// The group's committed offsets for these partitions.
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition] {
        let handle = UncheckedHandle(self.handle)
        let core = self.core
        return try await runBlocking { () -> Result<[KafkaTopicPartition], KafkaError> in
            _ = core
            let list = RDKafkaTopicPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(handle.pointer, list, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .failure(KafkaError(err)) }
            return .success(RDKafkaTopicPartitionList.read(list))
        }.get()
    }

    /// The next offset this consumer will read in each of these partitions
    /// (``KafkaOffset/invalid`` if it has not read any yet).
    public func position(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition] {
        let list = RDKafkaTopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_position(handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
        return RDKafkaTopicPartitionList.read(list)
    }

    /// The low (first) and high (next to be written) offsets of a partition, asked of its leader.
    public func watermarks(topic: String, partition: Int32, timeout: Duration = .seconds(10)) async throws -> (low: Int64, high: Int64) {
        let handle = UncheckedHandle(self.handle)
        let core = self.core
        return try await runBlocking { () -> Result<(low: Int64, high: Int64), KafkaError> in
            _ = core
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(handle.pointer, topic, partition, &low, &high, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return .failure(KafkaError(err, topic: topic)) }
            return .success((low, high))
        }.get()
    }

    /// The low and high offsets of a partition as this consumer last heard them (from its
    /// fetches), without asking the broker; `-1001` (``KafkaOffset/invalid``) for what it has
    /// not heard yet.
    public func cachedWatermarks(topic: String, partition: Int32) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_get_watermark_offsets(handle, topic, partition, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, topic: topic) }
        return (low, high)
    }

    /// How far this consumer is behind in each assigned partition: the high watermark minus
    /// its position (or, before it has read anything, minus the committed offset; with
    /// neither, minus where `auto.offset.reset` will start it).
    public func lag(timeout: Duration = .seconds(10)) async throws -> [KafkaPartitionLag] {
        let assigned = try assignment()
        let positions = try position(assigned)
        var committed: [KafkaTopicPartition] = []
        if positions.contains(where: { $0.offset < 0 }) { committed = try await self.committed(assigned, timeout: timeout) }
        var result: [KafkaPartitionLag] = []
        for p in positions {
            let (low, high) = try await watermarks(topic: p.topic, partition: p.partition, timeout: timeout)
            var from = p.offset
            if from < 0 { from = committed.first { $0.topic == p.topic && $0.partition == p.partition }?.offset ?? -1 }
            if from < 0 { from = core.startsAtEnd ? high : low }
            result.append(KafkaPartitionLag(topic: p.topic, partition: p.partition, position: from, highWatermark: high))
        }
        return result
    }

    // MARK: Flow control

    /// Stops fetching from these partitions until ``resume(_:)``; the group membership stays.
    public func pause(_ partitions: [KafkaTopicPartition]) throws {
        let list = RDKafkaTopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_pause_partitions(handle, list)
        if let error = RDKafkaTopicPartitionList.firstError(list) { throw error }
    }

    /// Fetches again from paused partitions.
    public func resume(_ partitions: [KafkaTopicPartition]) throws {
        let list = RDKafkaTopicPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_resume_partitions(handle, list)
        if let error = RDKafkaTopicPartitionList.firstError(list) { throw error }
    }

    /// Moves the read position of assigned partitions to their offsets (absolute or logical).
    /// Messages already taken from librdkafka before the seek may still arrive first.
    public func seek(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws {
        let handle = UncheckedHandle(self.handle)
        let core = self.core
        let error: KafkaError? = await runBlocking {
            _ = core
            let list = RDKafkaTopicPartitionList.make(partitions)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let failure = rd_kafka_seek_partitions(handle.pointer, list, timeout.timeoutMilliseconds) {
                return KafkaError(consuming: failure)
            }
            return RDKafkaTopicPartitionList.firstError(list)
        }
        if let error { throw error }
    }

    // MARK: Lifecycle

    /// Stops handing out messages, stores the offsets of what was handed out, commits them
    /// (with auto-commit), leaves the group, and ends ``messages``, ``batches`` and ``events``.
    /// Records taken from librdkafka but not handed out are not committed. A loop reading
    /// in another task gets no further record (at most the one it was being handed).
    public func close() async {
        let core = self.core
        await runBlocking { core.stopBlocking() }
    }

    /// Waits for graceful shutdown (or cancellation), then closes.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Every effective librdkafka property of this consumer, secrets redacted.
    public func effectiveProperties() -> [KafkaConfigurationEntry] {
        core.client.effectiveProperties()
    }
}

/// A partition's lag: how many messages the consumer has yet to read.
public struct KafkaPartitionLag: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// The next offset the consumer reads.
    public var position: Int64
    /// The offset the next message written will get.
    public var highWatermark: Int64
    /// Messages not yet read.
    public var lag: Int64 { max(0, highWatermark - position) }
}

/// A librdkafka handle carried into a blocking closure; valid while its owner is kept alive.
struct UncheckedHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}
