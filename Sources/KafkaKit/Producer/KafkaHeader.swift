/// A record header: a name and an optional binary value.
public struct KafkaHeader: Sendable, Hashable {
    /// The header's name.
    public var key: String
    /// The header's value; `nil` is a header without a value (distinct from an empty one).
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    /// A header with a UTF-8 string value.
    public init(key: String, value: String) {
        self.init(key: key, value: Array(value.utf8))
    }
}
