/// Identifies a message handed to a producer; its delivery report carries the same ID.
/// IDs are unique within a producer and increase with each send (a send that fails to queue
/// uses one up).
public struct KafkaProducerMessageID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The ID's number.
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
