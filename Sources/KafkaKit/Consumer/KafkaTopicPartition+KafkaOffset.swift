extension KafkaTopicPartition {
    /// A partition of a topic at `offset` (absolute or logical, e.g. ``KafkaOffset/beginning``).
    ///
    /// Disfavoured so that an integer literal offset still picks the `Int64` initializer.
    @_disfavoredOverload
    public init(topic: String, partition: Int32, offset: KafkaOffset) {
        self.init(topic: topic, partition: partition, offset: offset.rawValue)
    }
}
