import CLibrdkafka
import Foundation
public import KafkaKit

/// librdkafka's own mock Kafka cluster (`rdkafka_mock.h`) for fault injection: brokers going
/// down and up, injected request errors, leader changes. Clients connect to
/// ``bootstrapServers`` like to any cluster.
public final class MockCluster: @unchecked Sendable {
    private let host: OpaquePointer  // a bare client the mock cluster runs under
    private let cluster: OpaquePointer
    public let bootstrapServers: String

    public init(brokers: Int32 = 1) {
        let conf = rd_kafka_conf_new()
        // Only the mock cluster's own errors (a listener it cannot create, say) are shown:
        // they explain a failed run; the clients' logs stay quiet (see configuration()).
        rd_kafka_conf_set(conf, "log_level", "3", nil, 0)
        rd_kafka_conf_set_log_cb(conf) { _, level, facility, text in
            guard level <= 3, let text else { return }
            let line = "mock cluster: \(facility.map { String(cString: $0) } ?? ""): \(String(cString: text))\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, nil, 0)!
        cluster = rd_kafka_mock_cluster_new(host, brokers)!
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// A client configuration for this cluster, quiet: the injected faults would fill the log.
    public func configuration() -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: [bootstrapServers])
        configuration["log_level"] = "0"
        return configuration
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(host)
    }

    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) {
        let err = rd_kafka_mock_topic_create(cluster, name, partitions, replicationFactor)
        precondition(err == RD_KAFKA_RESP_ERR_NO_ERROR, "mock topic \(name): \(err)")
    }

    public func setBrokerDown(_ id: Int32 = 1) { _ = rd_kafka_mock_broker_set_down(cluster, id) }

    public func setBrokerUp(_ id: Int32 = 1) { _ = rd_kafka_mock_broker_set_up(cluster, id) }

    public func setLeader(topic: String, partition: Int32, broker: Int32) {
        _ = rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker)
    }

    /// Moves the group coordinator of `group` to `broker`.
    public func setCoordinator(group: String, broker: Int32) {
        _ = rd_kafka_mock_coordinator_set(cluster, "group", group, broker)
    }

    /// Moves the transaction coordinator of `transactionalID` to `broker`.
    public func setTransactionCoordinator(transactionalID: String, broker: Int32) {
        _ = rd_kafka_mock_coordinator_set(cluster, "transaction", transactionalID, broker)
    }

    /// Starts recording the requests the brokers receive (see ``requests()``).
    public func startRequestTracking() { rd_kafka_mock_start_request_tracking(cluster) }

    /// The requests received since ``startRequestTracking()``, in order: the receiving broker
    /// and the API key (`ApiKey.endTxn`, ...).
    public func requests() -> [(broker: Int32, apiKey: Int16)] {
        var count = 0
        guard let requests = rd_kafka_mock_get_requests(cluster, &count) else { return [] }
        defer { rd_kafka_mock_request_destroy_array(requests, count) }
        return (0..<count).map { (rd_kafka_mock_request_id(requests[$0]), rd_kafka_mock_request_api_key(requests[$0])) }
    }

    /// Kafka protocol API keys, for fault injection and request tracking.
    public enum ApiKey {
        public static let produce: Int16 = 0
        public static let findCoordinator: Int16 = 10
        public static let initProducerId: Int16 = 22
        public static let addPartitionsToTxn: Int16 = 24
        public static let addOffsetsToTxn: Int16 = 25
        public static let endTxn: Int16 = 26
        public static let txnOffsetCommit: Int16 = 28
    }

    /// Makes the next `count` requests of `apiKey` that `broker` receives fail with `code`,
    /// each answered only after `rtt` milliseconds.
    public func pushBrokerRequestErrors(broker: Int32, apiKey: Int16, code: Int32, rttMilliseconds: Int32, count: Int = 1) {
        for _ in 0..<count {
            _ = kafkakit_mock_broker_push_request_error_rtt(cluster, broker, apiKey, rd_kafka_resp_err_t(rawValue: code), rttMilliseconds)
        }
    }

    /// Removes `broker` from the cluster; its partitions move to the other brokers.
    public func decommissionBroker(_ id: Int32) {
        let err = rd_kafka_mock_broker_decommission(cluster, id)
        precondition(err == RD_KAFKA_RESP_ERR_NO_ERROR, "decommission broker \(id): \(err)")
    }

    /// Adds a broker with this ID; partitions are spread over it again.
    public func addBroker(_ id: Int32) {
        let err = rd_kafka_mock_broker_add(cluster, id)
        precondition(err == RD_KAFKA_RESP_ERR_NO_ERROR, "add broker \(id): \(err)")
    }

    /// Delays every response of `broker` by `milliseconds`.
    public func setBrokerRTT(_ id: Int32, milliseconds: Int32) { _ = rd_kafka_mock_broker_set_rtt(cluster, id, milliseconds) }

    /// How long a new group waits for more members before its first assignment (the mock's
    /// default is 3 s).
    public func setGroupInitialRebalanceDelay(milliseconds: Int32) {
        rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, milliseconds)
    }

    /// KIP-848 groups: the heartbeat interval the coordinator asks members for.
    public func setConsumerGroupHeartbeatInterval(milliseconds: Int32) {
        rd_kafka_mock_set_group_consumer_heartbeat_interval_ms(cluster, milliseconds)
    }

    /// Makes the next `errors.count` requests of the given API key fail with these codes.
    public func pushRequestErrors(apiKey: Int16, _ codes: [Int32]) {
        let errors = codes.map { rd_kafka_resp_err_t(rawValue: $0) }
        errors.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, buffer.count, buffer.baseAddress)
        }
    }
}
