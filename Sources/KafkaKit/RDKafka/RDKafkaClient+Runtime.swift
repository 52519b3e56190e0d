import CLibrdkafka

extension RDKafkaClient {
    /// librdkafka's name of the handle, such as `rdkafka#producer-1`.
    var name: String { String(cString: rd_kafka_name(handle)) }

    /// Adds brokers (`host[:port]`, comma separated) to the running client; returns how many
    /// librdkafka accepted.
    func addBrokers(_ brokers: String) -> Int {
        Int(rd_kafka_brokers_add(handle, brokers))
    }

    /// The value librdkafka uses for a (non-secret) property, for messages.
    func property(_ name: String) -> String? {
        let conf = rd_kafka_conf(handle)
        var size = 0
        guard rd_kafka_conf_get(conf, name, nil, &size) == RD_KAFKA_CONF_OK, size > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: size)
        guard rd_kafka_conf_get(conf, name, &buffer, &size) == RD_KAFKA_CONF_OK else { return nil }
        return String(nullTerminated: buffer)
    }

    /// Changes the most detailed syslog level librdkafka logs at (0 emerg … 7 debug).
    func setLogLevel(_ level: Int32) {
        rd_kafka_set_log_level(handle, level)
    }

    /// A topic handle with its own topic configuration, made before any other use of the topic
    /// (librdkafka keeps the configuration of a topic's first handle).
    func makeTopic(_ name: String, properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        if let error = KafkaError.invalidTopicName(name) { throw error }
        let conf = rd_kafka_default_topic_conf_dup(handle)!
        var reason = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_topic_conf_set(conf, key, value, &reason, reason.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_topic_conf_destroy(conf)
                var text = String(nullTerminated: reason)
                if result == RD_KAFKA_CONF_UNKNOWN { text = "unknown topic configuration property \"\(key)\"" }
                throw KafkaError(
                    code: .invalidArgument,
                    message: RDKafkaConfig.redact(text, property: key, value: value), property: key, topic: name)
            }
        }
        guard let topic = rd_kafka_topic_new(handle, name, conf) else {
            throw KafkaError(rd_kafka_last_error(), message: "creating topic handle \(name)")
        }
        return topic
    }
}
