import CLibrdkafka

extension RDKafkaClient {
    /// Removes every event waiting on the main queue of a client nobody serves it for (the
    /// admin client): librdkafka puts each broker connection error there, and they would pile
    /// up — and later be taken for the cause of an unrelated failure.
    func discardUnservedEvents() {
        while let event = rd_kafka_queue_poll(mainQueue, 0) { rd_kafka_event_destroy(event) }
    }

    /// `error`, or — when it only says that no broker answered (timed out, transport failure,
    /// all brokers down) and librdkafka raised a broker connection error since the last
    /// ``discardUnservedEvents()`` — that error, which says why: a certificate that failed
    /// verification, a failed authentication (these first), a TLS alert or a refused
    /// connection. Its message ends with what failed.
    func explainingConnectionFailure(_ error: KafkaError) -> KafkaError {
        var securityError: KafkaError?, transportError: KafkaError?
        while let event = rd_kafka_queue_poll(mainQueue, 0) {
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_ERROR else { continue }
            let err = rd_kafka_event_error(event)
            let found = KafkaError(err, message: rd_kafka_event_error_string(event).map { String(cString: $0) })
            switch err {
            case RD_KAFKA_RESP_ERR__SSL, RD_KAFKA_RESP_ERR__AUTHENTICATION: securityError = found
            case RD_KAFKA_RESP_ERR__TRANSPORT: transportError = found
            default: break
            }
        }
        let unreachable: Set<KafkaError.Code> = [.timedOut, .allBrokersDown, KafkaError.Code(RD_KAFKA_RESP_ERR__TRANSPORT)]
        guard var cause = securityError ?? transportError, unreachable.contains(error.code) else { return error }
        cause.message += " (then: \(error.code.name): \(error.message))"
        cause.topic = error.topic
        return cause
    }
}
