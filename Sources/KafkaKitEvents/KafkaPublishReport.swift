public import KafkaKit
public import KafkaKitConnections

/// The outcome of one published message, as a report handler receives it (event_kafka's
/// report route: `kafka_id`, `kafka_status`, `kafka_key`, `kafka_msg`).
public struct KafkaPublishReport: Sendable, Hashable {
    /// Where it went, the key and the message: the object that travelled with the message
    /// through librdkafka, shared rather than copied field by field.
    let published: KafkaPublished

    /// The broker ID published to; `nil` for a message published to a socket.
    public var brokerID: String? { published.destination.brokerID }
    /// Where the message went.
    public var socket: KafkaSocket { published.destination.socket }
    /// The record's key.
    public var key: [UInt8]? { published.key }
    /// The record's value: the message (or the event's JSON-RPC notification).
    public var message: [UInt8] { published.message }

    /// The broker's report.
    private let delivery: KafkaDeliveryReport?
    /// Why the message was not queued or not delivered.
    private let failure: KafkaError?

    /// Delivered (with partition, offset and timestamp), or the error saying why not.
    public var status: Result<KafkaDeliveryReport, KafkaError> {
        if let failure { return .failure(failure) }
        return .success(delivery!)
    }

    public init(brokerID: String?, socket: KafkaSocket, status: Result<KafkaDeliveryReport, KafkaError>, key: [UInt8]?, message: [UInt8]) {
        self.published = KafkaPublished(destination: KafkaPublishDestination(brokerID: brokerID, socket: socket), key: key, message: message)
        switch status {
        case .success(let delivery):
            self.delivery = delivery
            self.failure = delivery.errorCode == .noError ? nil : delivery.error
        case .failure(let error):
            self.delivery = nil
            self.failure = error
        }
    }

    init(published: KafkaPublished, delivery: KafkaDeliveryReport) {
        self.published = published
        self.delivery = delivery
        self.failure = delivery.errorCode == .noError ? nil : delivery.error
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.brokerID == b.brokerID && a.socket == b.socket && a.delivery == b.delivery && a.failure == b.failure
            && a.key == b.key && a.message == b.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(brokerID)
        hasher.combine(socket)
        hasher.combine(delivery)
        hasher.combine(failure)
        hasher.combine(key)
        hasher.combine(message)
    }

    /// Whether the broker acknowledged the message.
    public var isDelivered: Bool { failure == nil }

    /// Why the message was not delivered, if it was not.
    public var error: KafkaError? { failure }

    /// The broker ID, or the socket (secrets redacted), for messages.
    public var target: String { brokerID ?? socket.description }
}

/// What a published message's report needs, carried with the message through librdkafka:
/// one object per message, which its report then shares.
class KafkaPublished: KafkaDeliveryReceiver, @unchecked Sendable {
    let destination: KafkaPublishDestination
    let key: [UInt8]?
    let message: [UInt8]

    init(destination: KafkaPublishDestination, key: [UInt8]?, message: [UInt8]) {
        self.destination = destination
        self.key = key
        self.message = message
    }
}

/// A broker ID or socket: resolved once, shared by every report of it.
final class KafkaPublishDestination: Sendable {
    let brokerID: String?
    let socket: KafkaSocket

    init(brokerID: String?, socket: KafkaSocket) {
        self.brokerID = brokerID
        self.socket = socket
    }
}
