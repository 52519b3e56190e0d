/// A partition number of a topic, or ``unassigned``.
///
/// An integer literal is a partition number: `consume(topic: "orders", partition: 3, ...)`.
public struct KafkaPartition: Sendable, Hashable, Comparable, RawRepresentable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// librdkafka's value: the partition number, or -1 for ``unassigned``.
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Partition number `partition`.
    public init(_ partition: Int32) { rawValue = partition }

    public init(integerLiteral value: Int32) { rawValue = value }

    /// No partition chosen: the partitioner (producer) or the group (consumer) decides
    /// (`RD_KAFKA_PARTITION_UA`).
    public static let unassigned = KafkaPartition(rawValue: -1)

    public static func < (a: KafkaPartition, b: KafkaPartition) -> Bool { a.rawValue < b.rawValue }

    /// The number, or `unassigned`.
    public var description: String { self == .unassigned ? "unassigned" : String(rawValue) }
}
