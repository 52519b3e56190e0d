import CLibrdkafka
import Synchronization

// Controls of a running client that the Tcl binding's handles offer (`name`, `add_brokers`,
// `log_level`, and a topic configuration of their own for `new_topic`).

extension KafkaProducer {
    /// librdkafka's name of the client, such as `rdkafka#producer-1`.
    public var clientName: String { core.client.name }

    /// Adds brokers (`host[:port]`, comma separated; the port defaults to 9092) to the bootstrap
    /// list of the running producer.
    ///
    /// - Returns: how many brokers librdkafka accepted.
    @discardableResult
    public func addBrokers(_ brokers: String) -> Int { core.client.addBrokers(brokers) }

    /// Changes how detailed librdkafka's logging is: a syslog level from 0 (emergencies only)
    /// to 7 (debug). The producer's `Logger` still filters what it receives.
    public func setLibrdkafkaLogLevel(_ level: Int32) { core.client.setLogLevel(level) }

    /// Gives `topic` a topic configuration of its own (`acks`, `message.timeout.ms`,
    /// `partitioner`, `compression.type`, ...) on top of the producer's default topic
    /// configuration. Call it before the first send to the topic: librdkafka keeps the
    /// configuration of the topic's first use.
    ///
    /// - Throws: ``KafkaError`` naming the property librdkafka rejects, or
    ///   ``KafkaError/Code/invalidState`` if the topic was configured before with other properties.
    public func configureTopic(_ topic: String, properties: [String: String]) throws(KafkaError) {
        try core.configuredTopics.withLock { (topics) throws(KafkaError) in
            if let existing = topics[topic] {
                guard existing.properties == properties else {
                    throw KafkaError(
                        code: .invalidState,
                        message: "topic \(topic) already has its own configuration; librdkafka cannot change it", topic: topic)
                }
                return
            }
            topics[topic] = try RDKafkaTopic(client: core.client, name: topic, properties: properties)
        }
    }
}

extension KafkaPartitionConsumer {
    /// librdkafka's name of the client, such as `rdkafka#consumer-2`.
    public var clientName: String { client.name }

    /// Adds brokers (`host[:port]`, comma separated) to the running consumer's bootstrap list.
    ///
    /// - Returns: how many brokers librdkafka accepted.
    @discardableResult
    public func addBrokers(_ brokers: String) -> Int { client.addBrokers(brokers) }

    /// Changes how detailed librdkafka's logging is (syslog level 0–7).
    public func setLibrdkafkaLogLevel(_ level: Int32) { client.setLogLevel(level) }

    /// Gives `topic` a topic configuration of its own (`auto.offset.reset`, `offset.store.method`,
    /// ...) before it is started.
    ///
    /// - Throws: ``KafkaError`` naming the property librdkafka rejects, or
    ///   ``KafkaError/Code/invalidState`` if the topic is already in use with other properties.
    public func configureTopic(_ topic: String, properties: [String: String]) throws(KafkaError) {
        try configure(topic, properties)
    }
}

extension KafkaConfiguration {
    /// The version of the librdkafka KafkaKit runs on, such as `2.14.2`.
    public static var librdkafkaVersion: String { RDKafkaConfig.runtimeVersionString }
}

extension KafkaConfiguration.Partitioner {
    /// The partition this partitioner picks for a message with `key` in a topic of
    /// `partitionCount` partitions — what librdkafka computes on a send (a key is hashed the
    /// same way by every `_random` variant; only a missing key is placed at random).
    public func partition(forKey key: [UInt8], partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "a topic has at least one partition")
        let function: @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int, Int32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
        switch self {
        case .random: function = rd_kafka_msg_partitioner_random
        case .consistent: function = rd_kafka_msg_partitioner_consistent
        case .consistentRandom: function = rd_kafka_msg_partitioner_consistent_random
        case .murmur2: function = rd_kafka_msg_partitioner_murmur2
        case .murmur2Random: function = rd_kafka_msg_partitioner_murmur2_random
        case .fnv1a: function = rd_kafka_msg_partitioner_fnv1a
        case .fnv1aRandom: function = rd_kafka_msg_partitioner_fnv1a_random
        }
        return key.withUnsafeBytes { function(nil, $0.baseAddress, $0.count, partitionCount, nil, nil) }
    }
}
