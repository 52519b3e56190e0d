public import KafkaKit
public import KafkaKitConnections

/// The outcome of one published message, as a report handler receives it (event_kafka's
/// report route: `kafka_id`, `kafka_status`, `kafka_key`, `kafka_msg`).
public struct KafkaPublishReport: Sendable, Hashable {
    /// The broker ID published to; `nil` for a message published to a socket.
    public var brokerID: String?
    /// Where the message went.
    public var socket: KafkaSocket
    /// Delivered (with partition, offset and timestamp), or the error saying why not.
    public var status: Result<KafkaDeliveryReport, KafkaError>
    /// The record's key.
    public var key: [UInt8]?
    /// The record's value: the message (or the event's JSON-RPC notification).
    public var message: [UInt8]

    public init(brokerID: String?, socket: KafkaSocket, status: Result<KafkaDeliveryReport, KafkaError>, key: [UInt8]?, message: [UInt8]) {
        self.brokerID = brokerID
        self.socket = socket
        self.status = status
        self.key = key
        self.message = message
    }

    init(brokerID: String?, socket: KafkaSocket, delivery: KafkaDeliveryReport, key: [UInt8]?, message: [UInt8]) {
        let status: Result<KafkaDeliveryReport, KafkaError>
        if var error = delivery.error {
            error.topic = delivery.topic
            status = .failure(error)
        } else {
            status = .success(delivery)
        }
        self.init(brokerID: brokerID, socket: socket, status: status, key: key, message: message)
    }

    /// Whether the broker acknowledged the message.
    public var isDelivered: Bool {
        if case .success = status { return true }
        return false
    }

    /// Why the message was not delivered, if it was not.
    public var error: KafkaError? {
        if case .failure(let error) = status { return error }
        return nil
    }

    /// The broker ID, or the socket (secrets redacted), for messages.
    public var target: String { brokerID ?? socket.description }
}
