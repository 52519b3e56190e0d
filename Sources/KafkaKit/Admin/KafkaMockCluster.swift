import CLibrdkafka
public import Logging

/// librdkafka's own mock Kafka cluster (`rdkafka_mock.h`), running inside this process: for
/// developing and testing against "Kafka" without a broker. Clients connect to
/// ``bootstrapServers`` (loopback, ports chosen by the system) like to any cluster; the
/// cluster lives until this object is released.
///
/// It implements what clients need — Produce, Fetch, Metadata, ListOffsets (earliest and
/// latest; a lookup by time finds no offset), consumer groups (JoinGroup/SyncGroup/Heartbeat/
/// LeaveGroup, and KIP-848's ConsumerGroupHeartbeat), OffsetCommit/OffsetFetch (of the
/// partitions named: asked for all of a group's offsets, it answers none), idempotence and
/// transactions — and no administration API. ``KafkaAdminClient`` calls for describing,
/// listing or deleting groups, deleting offsets or records are refused as unsupported; those
/// that need a controller (creating topics or partitions, describing or altering
/// configurations) wait for one until their timeout. Topics are made with
/// ``createTopic(_:partitions:replicationFactor:)``, or on first use with the mock's default
/// partition count.
///
/// ```swift
/// let cluster = try KafkaMockCluster(brokers: 3)
/// try cluster.createTopic("orders", partitions: 4)
/// let producer = try KafkaProducer(configuration: cluster.configuration())
/// ```
///
/// `@unchecked Sendable`: it holds only `let`s, and librdkafka's mock functions may be
/// called from any thread (they hand the work to the cluster's own thread).
public final class KafkaMockCluster: @unchecked Sendable {
    /// The client the cluster runs under (librdkafka's mock cluster needs a handle).
    private let host: RDKafkaClient
    private let cluster: OpaquePointer
    /// The brokers' addresses, `127.0.0.1:PORT,...`, for `bootstrap.servers`.
    public let bootstrapServers: String
    /// The number of brokers.
    public let brokerCount: Int

    /// Starts a mock cluster of `brokers` brokers (IDs 1 to `brokers`).
    ///
    /// - Parameters:
    ///   - brokers: How many brokers (1 to 1000).
    ///   - logger: Receives the cluster's own log lines (at `info` and below).
    /// - Throws: ``KafkaError`` if `brokers` is not 1 or more, or the cluster cannot start
    ///   (no loopback listener, say).
    public init(brokers: Int = 1, logger: Logger = KafkaProducer.defaultLogger) throws {
        guard brokers >= 1, brokers <= 1000 else {
            throw KafkaError(code: .invalidArgument, message: "a mock cluster has 1 to 1000 brokers, not \(brokers)")
        }
        var configuration = KafkaConfiguration()
        configuration.properties["partitioner"] = nil
        host = try RDKafkaClient(type: RD_KAFKA_PRODUCER, configuration: configuration, events: 0, logger: logger, logsOnMainQueue: false)
        guard let cluster = rd_kafka_mock_cluster_new(host.handle, Int32(brokers)) else {
            throw KafkaError(code: .failure, message: "librdkafka could not start a mock cluster of \(brokers) brokers (see the log)")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        brokerCount = brokers
    }

    deinit {
        // Stopping the cluster joins its thread: a blocking call, made where the client
        // destroys are (the blocking executor). The host client, held by the closure, goes
        // after it.
        let handles = Handles(cluster: cluster, host: host)
        if RDKafkaBlockingExecutor.isPoolThread {
            handles.destroy()
        } else {
            RDKafkaBlockingExecutor.shared.submit { handles.destroy() }
        }
    }

    /// What the destroy needs once the object is gone.
    ///
    /// `@unchecked Sendable`: handed to the one thread that destroys the cluster.
    private struct Handles: @unchecked Sendable {
        let cluster: OpaquePointer
        let host: RDKafkaClient

        func destroy() {
            rd_kafka_mock_cluster_destroy(cluster)
            withExtendedLifetime(host) {}
        }
    }

    /// A client configuration for this cluster.
    public func configuration() -> KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: [bootstrapServers])
    }

    /// Creates a topic.
    ///
    /// - Throws: ``KafkaError`` for a name Kafka does not allow, a count below 1, or a
    ///   replication factor above the number of brokers.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws {
        if let error = KafkaError.invalidTopicName(name) { throw error }
        guard partitions >= 1 else { throw KafkaError(code: .invalidArgument, message: "topic \(name): 1 or more partitions, not \(partitions)", topic: name) }
        guard replicationFactor >= 1, replicationFactor <= brokerCount else {
            throw KafkaError(code: .invalidArgument, message: "topic \(name): a replication factor from 1 to \(brokerCount) (the brokers), not \(replicationFactor)", topic: name)
        }
        let err = rd_kafka_mock_topic_create(cluster, name, partitions, replicationFactor)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(err, message: "creating mock topic \(name): \(KafkaError.Code(err).explanation)", topic: name)
        }
    }
}
