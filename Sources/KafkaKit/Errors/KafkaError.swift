import CLibrdkafka

/// An error from KafkaKit or librdkafka.
///
/// Every error carries a ``Code`` (librdkafka's error code and its name), a human-readable
/// message, whether retrying may help, whether the client is unusable, and — where one applies —
/// the configuration property, topic, file or line it concerns.
/// ``description`` never contains a secret: values of sensitive properties are never part of it.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A librdkafka error code (`rd_kafka_resp_err_t`): negative values are local errors,
    /// positive values are errors returned by the broker.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The numeric value of librdkafka's `rd_kafka_resp_err_t`.
        public let rawValue: Int32

        public init(rawValue: Int32) { self.rawValue = rawValue }

        init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }

        /// librdkafka's name for the code, e.g. `_MSG_TIMED_OUT` or `UNKNOWN_TOPIC_OR_PART`.
        public var name: String { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: rawValue))) }

        /// librdkafka's one-line explanation of the code.
        public var explanation: String { String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: rawValue))) }

        public var description: String { name }

        public static let noError = Code(RD_KAFKA_RESP_ERR_NO_ERROR)
        /// The local producer queue is full (`queue.buffering.max.messages` / `.kbytes`).
        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        /// The message was not delivered within `message.timeout.ms`.
        public static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        /// The message was purged from the local queue before it was sent.
        public static let purgedFromQueue = Code(RD_KAFKA_RESP_ERR__PURGE_QUEUE)
        /// The message was purged while in flight to the broker.
        public static let purgedInFlight = Code(RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        /// The message is larger than `message.max.bytes`.
        public static let messageSizeTooLarge = Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        /// The topic or partition does not exist.
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        /// The partition does not exist in the local metadata.
        public static let unknownPartition = Code(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        /// The topic does not exist in the local metadata.
        public static let unknownTopic = Code(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        /// The broker refused the topic's name (`TOPIC_EXCEPTION`, Kafka's `InvalidTopicException`).
        public static let invalidTopic = Code(RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION)
        /// An argument or a configuration value is invalid.
        public static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        /// An operation did not finish within its timeout.
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        /// The feature (or the installed librdkafka) is not supported.
        public static let unsupportedFeature = Code(RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE)
        /// The client has been shut down.
        public static let destroyed = Code(RD_KAFKA_RESP_ERR__DESTROY)
        /// All brokers are down.
        public static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        /// A fatal error: the client can no longer be used.
        public static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)
        /// The partition was revoked from this consumer (by a rebalance) after the record was read.
        public static let assignmentLost = Code(RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST)
        /// A local failure such as a failed system call or an out-of-memory condition.
        public static let failure = Code(RD_KAFKA_RESP_ERR__FAIL)
    }

    /// What went wrong, as a code.
    public var code: Code
    /// What went wrong, in words (librdkafka's reason where it gave one).
    public var message: String
    /// Whether trying the same operation again may succeed.
    public var isRetriable: Bool
    /// Whether the client raised a fatal error and can no longer be used (a fenced
    /// transactional producer, ...).
    public var isFatal: Bool
    /// Whether the failed transaction call left the transaction in a state that only
    /// ``KafkaProducer/abortTransaction(timeout:)`` gets out of (librdkafka's
    /// `rd_kafka_error_txn_requires_abort`).
    public var requiresAbort: Bool
    /// The configuration property the error concerns, if any.
    public var property: String?
    /// The topic the error concerns, if any.
    public var topic: String?
    /// The configuration file the error concerns, if any.
    public var file: String?
    /// The 1-based line in ``file`` the error concerns, if any.
    public var line: Int?
    /// The 1-based character position, within the text that was parsed (a `kafka:` socket, a
    /// broker spec, JSON), of the part the error concerns; with ``line``, the column.
    public var position: Int?

    public init(
        code: Code,
        message: String,
        isRetriable: Bool = false,
        isFatal: Bool = false,
        requiresAbort: Bool = false,
        property: String? = nil,
        topic: String? = nil,
        file: String? = nil,
        line: Int? = nil,
        position: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.requiresAbort = requiresAbort
        self.property = property
        self.topic = topic
        self.file = file
        self.line = line
        self.position = position
    }

    /// An error for a librdkafka code, with librdkafka's own explanation as the message.
    init(_ err: rd_kafka_resp_err_t, message: String? = nil, topic: String? = nil) {
        self.init(code: Code(err), message: message, topic: topic)
    }

    /// An error for a code, with librdkafka's explanation unless a message is given.
    init(code: Code, message: String? = nil, topic: String?) {
        self.init(
            code: code,
            message: message ?? Self.explanation(of: code, topic: topic),
            isRetriable: Self.retriableCodes.contains(code),
            isFatal: code == .fatal,
            topic: topic
        )
    }

    /// librdkafka's explanation of `code`, and why the topic's name is refused when that is the
    /// reason (see ``topicNameReason(_:topic:)``).
    private static func explanation(of code: Code, topic: String?) -> String {
        code.explanation + topicNameReason(code, topic: topic)
    }

    /// Takes ownership of a librdkafka error object and destroys it.
    init(consuming error: OpaquePointer) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: Code(rd_kafka_error_code(error)),
            message: String(cString: rd_kafka_error_string(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            requiresAbort: rd_kafka_error_txn_requires_abort(error) != 0
        )
    }

    public var description: String {
        var text = "KafkaError(\(code.name)): \(message)"
        var context: [String] = []
        if let file {
            context.append(line.map { "\(file):\($0)" + (position.map { ":\($0)" } ?? "") } ?? file)
        } else if let line {
            context.append("line \(line)" + (position.map { ", column \($0)" } ?? ""))
        }
        if let position, line == nil { context.append("position \(position)") }
        if let property { context.append("property \(property)") }
        if let topic { context.append("topic \(topic)") }
        if isFatal { context.append("fatal") }
        if requiresAbort { context.append("requires abort") }
        if !context.isEmpty { text += " [" + context.joined(separator: ", ") + "]" }
        return text
    }

    /// Local conditions that go away by themselves (librdkafka retries or the queue drains).
    private static let retriableCodes: Set<Code> = [
        .queueFull, .timedOut, .allBrokersDown, .messageTimedOut,
        Code(RD_KAFKA_RESP_ERR__TRANSPORT), Code(RD_KAFKA_RESP_ERR__RESOLVE),
        Code(RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE), Code(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION),
        Code(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT), Code(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS),
        Code(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND), Code(RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION),
        Code(RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS), Code(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE),
        Code(RD_KAFKA_RESP_ERR_NOT_COORDINATOR), Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART),
    ]
}
