import CLibrdkafka
import Dispatch
public import Logging
import Synchronization

/// Where a partition consumer starts reading.
public enum KafkaStartOffset: Sendable, Hashable {
    /// The first message still in the partition.
    case beginning
    /// Only messages written from now on.
    case end
    /// The offset committed for the `group.id` (needs one).
    case stored
    /// This absolute offset.
    case offset(Int64)
    /// This many messages before the end (the Tcl binding's `-N`).
    case fromEnd(Int64)

    var rawValue: Int64 {
        switch self {
        case .beginning: KafkaOffset.beginning
        case .end: KafkaOffset.end
        case .stored: KafkaOffset.stored
        case .offset(let n): n
        case .fromEnd(let n): KafkaOffset.fromEnd(n)
        }
    }
}

/// A consumer of explicit partitions without group membership — the KafkaTcl binding's model
/// (`consume_start`, `consume`, `consume_batch`, `consume_start_queue`, `consume_stop`).
///
/// Waiting calls run on a thread of the consumer's own, never on the cooperative pool.
public final class KafkaPartitionConsumer: Sendable {
    let client: RDKafkaClient
    private let topics = Mutex<[String: RDKafkaTopic]>([:])
    /// Started partitions: stopped before the client is destroyed, which otherwise blocks
    /// when a `group.id` is set.
    private let started = Mutex<Set<KafkaTopicPartition>>([])
    private let blocking: DispatchQueue

    /// Creates a partition consumer. `group.id` is only needed to start at ``KafkaStartOffset/stored``.
    public init(configuration: KafkaConfiguration, logger: Logger = KafkaConsumer.defaultLogger) throws {
        var configuration = configuration
        configuration.applyConsumerDefaults()
        client = try RDKafkaClient(type: RD_KAFKA_CONSUMER, configuration: configuration, events: 0, logger: logger, logsOnMainQueue: false)
        blocking = DispatchQueue(label: "KafkaKit.partition-consumer")
    }

    deinit {
        for p in started.withLock({ $0 }) { rd_kafka_consume_stop(topic(p.topic).handle, p.partition) }
    }

    func topic(_ name: String) -> RDKafkaTopic {
        topics.withLock { topics in
            if let topic = topics[name] { return topic }
            let topic = RDKafkaTopic(client: client, name: name)
            topics[name] = topic
            return topic
        }
    }

    /// Starts fetching a partition at `offset`; read it with ``consume(topic:partition:timeout:)``.
    public func start(topic: String, partition: Int32, at offset: KafkaStartOffset) throws {
        guard rd_kafka_consume_start(self.topic(topic).handle, partition, offset.rawValue) == 0 else {
            throw Self.lastError(topic: topic, partition: partition, doing: "starting")
        }
        started.withLock { _ = $0.insert(KafkaTopicPartition(topic: topic, partition: partition)) }
    }

    /// Starts fetching a partition into `queue`, where several partitions can be read together.
    public func start(topic: String, partition: Int32, at offset: KafkaStartOffset, queue: KafkaMessageQueue) throws {
        guard rd_kafka_consume_start_queue(self.topic(topic).handle, partition, offset.rawValue, queue.queue.handle) == 0 else {
            throw Self.lastError(topic: topic, partition: partition, doing: "starting")
        }
        started.withLock { _ = $0.insert(KafkaTopicPartition(topic: topic, partition: partition)) }
    }

    /// Stops fetching a partition; messages already fetched are dropped.
    public func stop(topic: String, partition: Int32) throws {
        guard rd_kafka_consume_stop(self.topic(topic).handle, partition) == 0 else {
            throw Self.lastError(topic: topic, partition: partition, doing: "stopping")
        }
        started.withLock { _ = $0.remove(KafkaTopicPartition(topic: topic, partition: partition)) }
    }

    /// The next message of a started partition, or `nil` if none came within `timeout`.
    public func consume(topic: String, partition: Int32, timeout: Duration) async throws -> KafkaConsumerMessage? {
        let rkt = self.topic(topic)
        return try await onBlockingQueue { () -> Result<KafkaConsumerMessage?, KafkaError> in
            guard let message = rd_kafka_consume(rkt.handle, partition, timeout.timeoutMilliseconds) else { return .success(nil) }
            return Self.single(message, client: rkt.client)
        }
    }

    /// Up to `maxCount` messages of a started partition: as many as arrive within `timeout`.
    public func consumeBatch(topic: String, partition: Int32, maxCount: Int, timeout: Duration) async throws -> KafkaConsumerBatch {
        let rkt = self.topic(topic)
        return try await onBlockingQueue { () -> Result<KafkaConsumerBatch, KafkaError> in
            Self.batch(maxCount: maxCount, client: rkt.client) { rd_kafka_consume_batch(rkt.handle, partition, timeout.timeoutMilliseconds, $0, $1) }
        }
    }

    /// A queue to route several partitions into (``start(topic:partition:at:queue:)``).
    public func makeQueue() -> KafkaMessageQueue {
        KafkaMessageQueue(queue: RDKafkaQueue(newOn: client), consumer: self)
    }

    /// Cluster metadata as this consumer sees it (all topics, or one).
    public func metadata(topic: String? = nil, timeout: Duration = .seconds(10)) async throws -> KafkaMetadata {
        try await client.metadata(topic: topic, timeout: timeout)
    }

    func onBlockingQueue<T: Sendable>(_ body: @escaping @Sendable () -> Result<T, KafkaError>) async throws -> T {
        try await withCheckedContinuation { continuation in
            blocking.async { continuation.resume(returning: body()) }
        }.get()
    }

    /// A consumed message, or the error it carries (end of partition: `nil`).
    static func single(_ message: UnsafeMutablePointer<rd_kafka_message_t>, client: RDKafkaClient) -> Result<KafkaConsumerMessage?, KafkaError> {
        let err = message.pointee.err
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            defer { rd_kafka_message_destroy(message) }
            if err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return .success(nil) }
            return .failure(messageError(message))
        }
        let slots = UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: 1)
        slots[0] = message
        return .success(KafkaConsumerMessage(batch: RDKafkaMessageBatch(messages: slots, count: 1, client: client), index: 0))
    }

    /// Runs a librdkafka batch call and keeps the good messages; the first error is thrown only
    /// if no message came with it.
    static func batch(
        maxCount: Int,
        client: RDKafkaClient,
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>, Int) -> Int
    ) -> Result<KafkaConsumerBatch, KafkaError> {
        let slots = UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: max(1, maxCount))
        let count = call(slots.baseAddress!, max(1, maxCount))
        guard count >= 0 else {
            slots.deallocate()
            return .failure(KafkaError(rd_kafka_last_error()))
        }
        var kept = 0
        var firstError: KafkaError? = nil
        for i in 0..<count {
            let message = slots[i]!
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                slots[kept] = message
                kept += 1
            } else {
                if message.pointee.err != RD_KAFKA_RESP_ERR__PARTITION_EOF, firstError == nil { firstError = messageError(message) }
                rd_kafka_message_destroy(message)
            }
        }
        if kept == 0, let firstError {
            slots.deallocate()
            return .failure(firstError)
        }
        return .success(KafkaConsumerBatch(storage: RDKafkaMessageBatch(messages: slots, count: kept, client: client)))
    }

    static func messageError(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaError {
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) }
        var error = KafkaError(message.pointee.err, topic: topic)
        if let text = rd_kafka_message_errstr(message) { error.message = String(cString: text) }
        return error
    }

    /// The legacy API reports through `errno`-style thread-local state; read it on the same
    /// thread, right after the failing call.
    static func lastError(topic: String, partition: Int32, doing: String) -> KafkaError {
        let err = rd_kafka_last_error()
        return KafkaError(err, message: "\(doing) \(topic)[\(partition)]: \(KafkaError.Code(err).explanation)", topic: topic)
    }
}

/// A queue several started partitions are routed into, read together.
public final class KafkaMessageQueue: Sendable {
    let queue: RDKafkaQueue
    let consumer: KafkaPartitionConsumer

    init(queue: RDKafkaQueue, consumer: KafkaPartitionConsumer) {
        self.queue = queue
        self.consumer = consumer
    }

    /// The next message from any partition routed here, or `nil` if none came within `timeout`.
    public func consume(timeout: Duration) async throws -> KafkaConsumerMessage? {
        let queue = self.queue
        return try await consumer.onBlockingQueue { () -> Result<KafkaConsumerMessage?, KafkaError> in
            guard let message = rd_kafka_consume_queue(queue.handle, timeout.timeoutMilliseconds) else { return .success(nil) }
            return KafkaPartitionConsumer.single(message, client: queue.client)
        }
    }

    /// Up to `maxCount` messages from the partitions routed here, as many as arrive within `timeout`.
    public func consumeBatch(maxCount: Int, timeout: Duration) async throws -> KafkaConsumerBatch {
        let queue = self.queue
        return try await consumer.onBlockingQueue { () -> Result<KafkaConsumerBatch, KafkaError> in
            KafkaPartitionConsumer.batch(maxCount: maxCount, client: queue.client) { rd_kafka_consume_batch_queue(queue.handle, timeout.timeoutMilliseconds, $0, $1) }
        }
    }
}

/// Owns an `rd_kafka_topic_t` (and keeps its client alive).
///
/// `@unchecked Sendable`: librdkafka topic handles are thread-safe; only `let`s.
final class RDKafkaTopic: @unchecked Sendable {
    let client: RDKafkaClient
    let handle: OpaquePointer

    init(client: RDKafkaClient, name: String) {
        self.client = client
        self.handle = rd_kafka_topic_new(client.handle, name, nil)
    }

    deinit { rd_kafka_topic_destroy(handle) }
}
