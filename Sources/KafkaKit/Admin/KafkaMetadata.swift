import CLibrdkafka

/// A snapshot of cluster metadata: brokers, topics, partitions, leaders, replicas, ISR
/// (the Tcl binding's `info brokers|topics|partitions`).
public struct KafkaMetadata: Sendable, Hashable {
    /// A broker of the cluster.
    public struct Broker: Sendable, Hashable {
        public var id: Int32
        public var host: String
        public var port: Int32
        /// Whether this broker is the cluster's controller.
        public var isController: Bool
    }

    /// A partition of a topic.
    public struct Partition: Sendable, Hashable {
        public var id: Int32
        /// The leader's broker ID (`-1` if there is none).
        public var leader: Int32
        public var replicas: [Int32]
        public var inSyncReplicas: [Int32]
        /// The broker's error for this partition, if any.
        public var error: KafkaError.Code?
    }

    /// A topic.
    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitions: [Partition]
        /// The broker's error for this topic (e.g. unknown topic), if any.
        public var error: KafkaError.Code?
    }

    public var brokers: [Broker]
    public var topics: [Topic]
    /// The controller's broker ID, if the cluster reported it.
    public var controllerID: Int32?
    /// The broker that answered.
    public var originatingBrokerID: Int32

    /// The topic of that name, if the metadata has it.
    public func topic(_ name: String) -> Topic? { topics.first { $0.name == name } }

    init(_ md: UnsafePointer<rd_kafka_metadata>, controllerID: Int32?) {
        let m = md.pointee
        brokers = (0..<Int(m.broker_cnt)).map { i in
            let b = m.brokers[i]
            return Broker(id: b.id, host: String(cString: b.host), port: b.port, isController: b.id == controllerID)
        }
        topics = (0..<Int(m.topic_cnt)).map { i in
            let t = m.topics[i]
            let partitions = (0..<Int(t.partition_cnt)).map { j in
                let p = t.partitions[j]
                return Partition(
                    id: p.id, leader: p.leader,
                    replicas: Array(UnsafeBufferPointer(start: p.replicas, count: Int(p.replica_cnt))),
                    inSyncReplicas: Array(UnsafeBufferPointer(start: p.isrs, count: Int(p.isr_cnt))),
                    error: p.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(p.err))
            }
            return Topic(
                name: String(cString: t.topic), partitions: partitions.sorted { $0.id < $1.id },
                error: t.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(t.err))
        }
        self.controllerID = controllerID
        originatingBrokerID = m.orig_broker_id
    }

    /// Fetches metadata with a short-lived client (for all topics, or one).
    public static func fetch(configuration: KafkaConfiguration, topic: String? = nil, timeout: Duration = .seconds(10)) async throws -> KafkaMetadata {
        let admin = try KafkaAdminClient(configuration: configuration)
        return try await admin.metadata(topic: topic, timeout: timeout)
    }
}

extension RDKafkaClient {
    /// Blocking: metadata for all topics or one. Run it off the cooperative pool.
    func metadataBlocking(topic: String?, timeout: Duration) -> Result<KafkaMetadata, KafkaError> {
        var md: UnsafePointer<rd_kafka_metadata>? = nil
        var rkt: OpaquePointer? = nil
        if let topic { rkt = rd_kafka_topic_new(handle, topic, nil) }
        defer { if let rkt { rd_kafka_topic_destroy(rkt) } }
        let err = rd_kafka_metadata(handle, topic == nil ? 1 : 0, rkt, &md, timeout.timeoutMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else { return .failure(KafkaError(err, topic: topic)) }
        defer { rd_kafka_metadata_destroy(md) }
        let controller = rd_kafka_controllerid(handle, 0)  // cached from the metadata just fetched
        return .success(KafkaMetadata(md, controllerID: controller >= 0 ? controller : nil))
    }

    func metadata(topic: String?, timeout: Duration) async throws -> KafkaMetadata {
        try await runBlocking { [self] in metadataBlocking(topic: topic, timeout: timeout) }.get()
    }
}

extension KafkaProducer {
    /// Cluster metadata as this producer sees it (all topics, or one).
    public func metadata(topic: String? = nil, timeout: Duration = .seconds(10)) async throws -> KafkaMetadata {
        try await core.client.metadata(topic: topic, timeout: timeout)
    }
}

extension KafkaConsumer {
    /// Cluster metadata as this consumer sees it (all topics, or one).
    public func metadata(topic: String? = nil, timeout: Duration = .seconds(10)) async throws -> KafkaMetadata {
        try await core.client.metadata(topic: topic, timeout: timeout)
    }
}
