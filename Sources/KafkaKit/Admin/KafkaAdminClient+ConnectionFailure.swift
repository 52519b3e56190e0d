import CLibrdkafka
import Synchronization

/// The broker connection errors an admin client has seen since its last answered request.
///
/// librdkafka puts each one on the main queue, which nobody serves for an admin client, and
/// reports an identical error again only after 30 s: so they are collected as requests go,
/// not only when one fails.
struct AdminConnectionErrors: Sendable {
    /// The last TLS or SASL error: the most telling.
    var security: KafkaError?
    /// The last transport error (a TLS alert, a refused connection).
    var transport: KafkaError?
}

extension KafkaAdminClient {
    /// Moves the connection errors waiting on the main queue into ``connectionErrors``; any
    /// of them, or all brokers down, also forgets the brokers' API table (``brokerAPIs``).
    func collectConnectionErrors() {
        var found = AdminConnectionErrors()
        var lostBroker = false
        while let event = client.pollMainQueue() {
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_ERROR else { continue }
            let err = rd_kafka_event_error(event)
            let error = KafkaError(err, message: rd_kafka_event_error_string(event).map { String(cString: $0) })
            switch err {
            case RD_KAFKA_RESP_ERR__SSL, RD_KAFKA_RESP_ERR__AUTHENTICATION: found.security = error
            case RD_KAFKA_RESP_ERR__TRANSPORT: found.transport = error
            case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN: lostBroker = true
            default: break
            }
        }
        if lostBroker || found.security != nil || found.transport != nil {
            brokerAPIs.withLock { $0.brokerConnectionFailed() }
        }
        guard found.security != nil || found.transport != nil else { return }
        connectionErrors.withLock { errors in
            if let security = found.security { errors.security = security }
            if let transport = found.transport { errors.transport = transport }
        }
    }

    /// A request was answered: the brokers are reachable, earlier errors explain nothing now.
    func requestAnswered() {
        collectConnectionErrors()
        connectionErrors.withLock { $0 = AdminConnectionErrors() }
    }

    /// `error`, explained when it only says that no broker answered (timed out, transport
    /// failure, all brokers down) and a broker connection failed since the last answered
    /// request: a TLS or SASL failure (a certificate that failed verification, a failed
    /// authentication) is thrown in its place, its message ending with what failed; any other
    /// (a TLS alert, a refused connection) is added to the error's message, its code kept.
    func explainingConnectionFailure(_ error: KafkaError) -> KafkaError {
        let unreachable: Set<KafkaError.Code> = [.timedOut, .allBrokersDown, KafkaError.Code(RD_KAFKA_RESP_ERR__TRANSPORT)]
        guard unreachable.contains(error.code) else { return error }
        collectConnectionErrors()
        let (security, transport) = connectionErrors.withLock { ($0.security, $0.transport) }
        if var cause = security {
            cause.message += " (then: \(error.code.name): \(error.message))"
            cause.topic = error.topic
            return cause
        }
        guard let transport else { return error }
        var explained = error
        explained.message += " (last broker connection error: \(transport.message))"
        return explained
    }
}

extension RDKafkaClient {
    /// The next event on the main queue, without waiting.
    func pollMainQueue() -> OpaquePointer? { rd_kafka_queue_poll(mainQueue, 0) }
}
