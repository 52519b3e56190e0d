import CLibrdkafka

extension KafkaError {
    /// The error a consumed message carries, naming its topic and partition.
    static func consumed(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaError {
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) }
        let reason = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? KafkaError.Code(message.pointee.err).explanation
        let place = topic.map { "\($0)[\(message.pointee.partition)]" } ?? "partition \(message.pointee.partition)"
        return KafkaError(message.pointee.err, message: "consuming \(place): \(reason)", topic: topic)
    }
}
