import KafkaKit
import KafkaKitConnections

/// An event to publish: a name and its parameters, sent as a JSON-RPC 2.0 notification.
///
/// ```swift
/// let event = KafkaEvent(name: "E_PIKE_BLOCKED", params: ["ip": "192.168.2.11"])
/// event.jsonRPC  // {"jsonrpc":"2.0","method":"E_PIKE_BLOCKED","params":{"ip":"192.168.2.11"}}
/// ```
///
/// The correlation key (the Call-ID of the SIP message, in the seed) becomes the record key
/// on sockets that say `key=callid`, and is not sent elsewhere.
public struct KafkaEvent: Sendable, Hashable {
    /// The event's name: the notification's `method`.
    public var name: String
    /// The event's parameters: the notification's `params`, normally an object (`null` leaves
    /// them out; a single value is sent as a one-element array, as JSON-RPC wants).
    public var params: KafkaJSON
    /// The key for sockets with `key=callid`.
    public var correlationKey: String?

    public init(name: String, params: KafkaJSON = [:], correlationKey: String? = nil) {
        self.name = name
        self.params = params
        self.correlationKey = correlationKey
    }

    /// The JSON-RPC 2.0 notification, `{"jsonrpc":"2.0","method":NAME,"params":{...}}`, as
    /// compact JSON: what is published.
    public var jsonRPC: String { notification.jsonText }

    /// The notification, compact or laid out one member per line as in event_kafka's
    /// documentation.
    public func jsonRPC(pretty: Bool) -> String { notification.jsonText(pretty: pretty) }

    /// The bytes published: the compact notification in UTF-8.
    public var payload: [UInt8] {
        var bytes: [UInt8] = []
        notification.write(into: &bytes)
        return bytes
    }

    /// JSON-RPC allows structured params only: `null` leaves them out, and a single value is
    /// sent as a one-element array.
    private var notification: KafkaJSON {
        switch params {
        case .null: ["jsonrpc": "2.0", "method": .string(name)]
        case .object, .array: ["jsonrpc": "2.0", "method": .string(name), "params": params]
        default: ["jsonrpc": "2.0", "method": .string(name), "params": [params]]
        }
    }
}

extension KafkaEvent {
    /// Why the event cannot be raised: it has no name (a notification's `method` names it).
    var nameError: KafkaError? {
        guard name.isEmpty else { return nil }
        return KafkaError(code: .invalidArgument, message: "the event has no name: a JSON-RPC notification's method names it")
    }

    /// The record key on `socket`: the correlation key where the socket says `key=callid`.
    func recordKey(on socket: KafkaSocket) -> [UInt8]? {
        socket.usesCorrelationKey ? correlationKey.map { Array($0.utf8) } : nil
    }
}
