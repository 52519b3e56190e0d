/// An offset in a partition: an absolute position, or one of librdkafka's logical offsets
/// (``beginning``, ``end``, ``stored``, ``tail(_:)``).
///
/// An integer literal is an absolute offset: `start(topic: "orders", partition: 0, at: 42)`.
public struct KafkaOffset: Sendable, Hashable, RawRepresentable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// librdkafka's value: the offset itself, or a negative logical offset.
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// The absolute offset `offset`, or the logical offset of that raw value.
    public init(_ offset: Int64) { rawValue = offset }

    public init(integerLiteral value: Int64) { rawValue = value }

    /// The first offset still in the partition (`RD_KAFKA_OFFSET_BEGINNING`).
    public static let beginning = KafkaOffset(rawValue: -2)
    /// The offset after the last message: only messages written from now on (`RD_KAFKA_OFFSET_END`).
    public static let end = KafkaOffset(rawValue: -1)
    /// The offset committed for the consumer group (`RD_KAFKA_OFFSET_STORED`; needs a `group.id`).
    public static let stored = KafkaOffset(rawValue: -1000)
    /// No offset (`RD_KAFKA_OFFSET_INVALID`).
    public static let invalid = KafkaOffset(rawValue: -1001)

    /// `count` messages before the end (`RD_KAFKA_OFFSET_TAIL(count)`; the Tcl binding's `-N`).
    public static func tail(_ count: Int64) -> KafkaOffset {
        precondition(count >= 0 && count <= maximumTail, "tail(_:) takes a count of messages from 0 to \(maximumTail), not \(count)")
        return KafkaOffset(rawValue: tailBase - count)
    }

    private static let tailBase: Int64 = -2000

    /// The largest count ``tail(_:)`` takes (librdkafka encodes it below -2000 in an `Int64`).
    public static let maximumTail: Int64 = Int64.max - 2000

    /// Whether reading can start here: an absolute offset, or a logical one librdkafka resolves.
    var isValidStart: Bool {
        rawValue >= 0 || self == .beginning || self == .end || self == .stored || rawValue <= Self.tailBase
    }

    /// `beginning`, `end`, `stored`, `invalid`, `tail(N)`, or the number.
    public var description: String {
        switch self {
        case .beginning: "beginning"
        case .end: "end"
        case .stored: "stored"
        case .invalid: "invalid"
        default: rawValue <= Self.tailBase ? "tail(\(Self.tailBase - rawValue))" : String(rawValue)
        }
    }
}

extension KafkaOffset {
    /// The absolute offset `offset`.
    @available(*, deprecated, message: "write the offset itself: an integer literal or KafkaOffset(_:)")
    public static func offset(_ offset: Int64) -> KafkaOffset { KafkaOffset(offset) }

    /// `count` messages before the end.
    @available(*, deprecated, renamed: "tail(_:)")
    public static func fromEnd(_ count: Int64) -> KafkaOffset { tail(count) }
}

/// Where a partition consumer starts reading: now a ``KafkaOffset``.
@available(*, deprecated, renamed: "KafkaOffset")
public typealias KafkaStartOffset = KafkaOffset
