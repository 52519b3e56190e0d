import CLibrdkafka

extension KafkaAdminClient {
    /// Changes configuration entries of a topic or broker incrementally (Kafka's
    /// IncrementalAlterConfigs): the entries named are set, deleted (back to the default),
    /// appended to or subtracted from; every other entry keeps its value.
    ///
    /// - Throws: ``KafkaError`` naming the resource and the broker's reason (an unknown entry,
    ///   a value it refuses), or ``KafkaError/Code/invalidArgument`` for an alteration librdkafka
    ///   refuses to send (a missing value, the same entry twice).
    public func incrementalAlterConfigs(_ resource: KafkaConfigResource, _ alterations: [KafkaConfigAlteration], timeout: Duration = .seconds(30)) async throws {
        guard !alterations.isEmpty else { return }
        let handle = client.handle
        try await request(RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS, timeout: timeout) { options, queue in
            let r = resource.makeConfigResource()
            defer { rd_kafka_ConfigResource_destroy(r) }
            for alteration in alterations {
                let op: rd_kafka_AlterConfigOpType_t = switch alteration.operation {
                case .set: RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET
                case .delete: RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE
                case .append: RD_KAFKA_ALTER_CONFIG_OP_TYPE_APPEND
                case .subtract: RD_KAFKA_ALTER_CONFIG_OP_TYPE_SUBTRACT
                }
                if let error = rd_kafka_ConfigResource_add_incremental_config(r, alteration.name, op, alteration.value) {
                    var refused = KafkaError(consuming: error)
                    refused.message = "\(alteration): \(refused.message)"
                    refused.property = alteration.name
                    return refused
                }
            }
            var made: [OpaquePointer?] = [r]
            made.withUnsafeMutableBufferPointer { rd_kafka_IncrementalAlterConfigs(handle, $0.baseAddress, 1, options, queue) }
            return nil
        } read: { event -> Result<Void, KafkaError> in
            var count = 0
            let resources = rd_kafka_IncrementalAlterConfigs_result_resources(rd_kafka_event_IncrementalAlterConfigs_result(event), &count)
            for i in 0..<count {
                let r = resources![i]
                let err = rd_kafka_ConfigResource_error(r)
                guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
                let text = rd_kafka_ConfigResource_error_string(r).map { String(cString: $0) } ?? KafkaError.Code(err).explanation
                var error = KafkaError(err, message: "altering the configuration of \(resource): \(text)")
                if case .topic(let name) = resource { error.topic = name }
                return .failure(error)
            }
            return .success(())
        }
    }
}

extension KafkaConfigResource {
    /// A new `rd_kafka_ConfigResource_t` the caller destroys.
    func makeConfigResource() -> OpaquePointer {
        switch self {
        case .topic(let name): rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name)
        case .broker(let id): rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, String(id))
        }
    }
}

extension KafkaConfigResource: CustomStringConvertible {
    /// `topic NAME` or `broker ID`.
    public var description: String {
        switch self {
        case .topic(let name): "topic \(name)"
        case .broker(let id): "broker \(id)"
        }
    }
}
