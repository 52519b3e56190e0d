/// The metadata keys of KafkaKit's log lines, all in one place: dot-separated, under `kafka.`,
/// so that a log handler can filter or index them (`logger[metadataKey:]`, a JSON handler's
/// fields).
///
/// KafkaKit logs at `info` and below (swift-log's guidance for libraries). What the application
/// must act on is also thrown, or delivered as an error event; a log line is never the only
/// place an error shows.
public enum KafkaLogMetadataKey {
    /// The error a line is about (`KafkaError`'s description; secrets redacted).
    public static let error = "kafka.error"
    /// librdkafka's facility of a line it logged (`FAIL`, `REQTMOUT`, `CGRPOP`, ...).
    public static let facility = "kafka.facility"
    /// librdkafka's own level of a line it logged (KafkaKit logs it at `info` or below).
    public static let level = "kafka.level"
    /// A producer message's ID (``KafkaProducerMessageID``).
    public static let messageID = "kafka.message.id"
    /// Offsets committed or to commit.
    public static let offsets = "kafka.offsets"
    /// One partition.
    public static let partition = "kafka.partition"
    /// Partitions assigned, revoked or lost.
    public static let partitions = "kafka.partitions"
    /// How many messages were purged undelivered (each also reported as failed).
    public static let purged = "kafka.purged"
    /// A topic.
    public static let topic = "kafka.topic"
    /// A transactional producer's `transactional.id`.
    public static let transactionalID = "kafka.transactional.id"
}
