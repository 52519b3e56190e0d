/// An event name and the sockets that raising the event publishes to (a `type = subscription`
/// section of `kafka.conf`).
public struct KafkaSubscription: Sendable, Hashable {
    /// The event's name, such as `E_PIKE_BLOCKED`.
    public var event: String
    /// Where the event is published, each socket once per raise.
    public var sockets: [KafkaSocket]
    /// Where it was declared, for messages.
    public var file: String?
    public var line: Int?

    public init(event: String, sockets: [KafkaSocket]) {
        self.event = event
        self.sockets = sockets
    }
}
