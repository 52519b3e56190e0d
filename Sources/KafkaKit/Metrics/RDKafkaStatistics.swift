/// The part of librdkafka's statistics JSON (its `STATISTICS.md`) that KafkaKit's metrics
/// read. A field a librdkafka leaves out reads as zero (or "unknown"), never as a failure.
///
/// Decoded by ``RDKafkaStatisticsScanner``, which reads these fields and skips the rest of the
/// document without building it: a consumer of many partitions emits hundreds of kilobytes per
/// interval, and Foundation's `JSONDecoder` took about 100 ns a byte for it.
struct RDKafkaStatistics: Equatable, Sendable {
    /// `type`: `producer` or `consumer`.
    var type: String = ""
    /// `replyq`: ops (callbacks, events) waiting for the application to serve.
    var replyQueue: Int64 = 0
    /// `msg_cnt`, `msg_size`: messages (and their bytes) in the producer's queues.
    var queuedMessages: Int64 = 0
    var queuedBytes: Int64 = 0
    /// `txmsgs`, `txmsg_bytes`, `rxmsgs`, `rxmsg_bytes`: totals since the client started.
    var messagesSent: Int64 = 0
    var messageBytesSent: Int64 = 0
    var messagesReceived: Int64 = 0
    var messageBytesReceived: Int64 = 0
    /// `brokers`, by librdkafka's broker name (`host:port/id`).
    var brokers: [String: Broker] = [:]
    /// `topics`, by topic name.
    var topics: [String: Topic] = [:]
    /// `cgrp`: a group consumer's group.
    var group: Group? = nil

    struct Broker: Equatable, Sendable {
        /// `source`: `learned`, `configured`, `logical` or `internal`.
        var source: String = ""
        /// `state`: `INIT`, `DOWN`, `TRY_CONNECT`, `CONNECT`, ..., `UP`, `UPDATE`.
        var state: String = ""
        /// `txerrs`, `rxerrs`, `req_timeouts`: totals since the broker object was made.
        var transmitErrors: Int64 = 0
        var receiveErrors: Int64 = 0
        var requestTimeouts: Int64 = 0
        /// `rtt`, `outbuf_latency`: microseconds, over the last interval.
        var rtt = Window()
        var outbufLatency = Window()
    }

    /// A rolling window of librdkafka's (microseconds).
    struct Window: Equatable, Sendable {
        var avg: Int64 = 0
        var p99: Int64 = 0
    }

    struct Topic: Equatable, Sendable {
        /// `partitions`, by partition number (`-1` is librdkafka's unassigned-partition queue).
        var partitions: [String: Partition] = [:]
    }

    struct Partition: Equatable, Sendable {
        var partition: Int32 = -1
        /// `desired`: the application consumes it (assigned, or started).
        var desired: Bool = false
        /// `consumer_lag`, `consumer_lag_stored`: `-1` while unknown.
        var consumerLag: Int64 = -1
        var consumerLagStored: Int64 = -1
        /// `fetchq_cnt`, `fetchq_size`: messages (and bytes) fetched, waiting for the application.
        var fetchQueueMessages: Int64 = 0
        var fetchQueueBytes: Int64 = 0
    }

    struct Group: Equatable, Sendable {
        /// `rebalance_cnt`: rebalances since the consumer started.
        var rebalances: Int64 = 0
        /// `assignment_size`: partitions assigned now.
        var assignmentSize: Int64 = 0
    }

    /// Decodes one statistics document (librdkafka's JSON, as UTF-8 bytes).
    static func decode(_ json: [UInt8]) throws(RDKafkaStatisticsScanner.Failure) -> RDKafkaStatistics {
        try json.withUnsafeBufferPointer { (bytes) throws(RDKafkaStatisticsScanner.Failure) in
            var scanner = RDKafkaStatisticsScanner(bytes)
            return try scanner.statistics()
        }
    }
}

/// A reader of one JSON document that takes the fields ``RDKafkaStatistics`` needs and skips
/// every other value without building it. Strict enough never to misread: anything but JSON
/// where a value is expected (or a document cut short) throws, naming the byte offset.
struct RDKafkaStatisticsScanner {
    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "statistics JSON: \(reason) at byte \(offset)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // MARK: The document's shape

    mutating func statistics() throws(Failure) -> RDKafkaStatistics {
        var statistics = RDKafkaStatistics()
        try beginObject()
        while let key = try nextKey() {
            switch key {
            case "type": statistics.type = try string()
            case "replyq": statistics.replyQueue = try integer()
            case "msg_cnt": statistics.queuedMessages = try integer()
            case "msg_size": statistics.queuedBytes = try integer()
            case "txmsgs": statistics.messagesSent = try integer()
            case "txmsg_bytes": statistics.messageBytesSent = try integer()
            case "rxmsgs": statistics.messagesReceived = try integer()
            case "rxmsg_bytes": statistics.messageBytesReceived = try integer()
            case "brokers":
                try beginObject()
                while let name = try nextKey() { statistics.brokers[name] = try broker() }
            case "topics":
                try beginObject()
                while let name = try nextKey() { statistics.topics[name] = try topic() }
            case "cgrp": statistics.group = try group()
            default: try skipValue()
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw failure("text after the document") }
        return statistics
    }

    private mutating func broker() throws(Failure) -> RDKafkaStatistics.Broker {
        var broker = RDKafkaStatistics.Broker()
        try beginObject()
        while let key = try nextKey() {
            switch key {
            case "source": broker.source = try string()
            case "state": broker.state = try string()
            case "txerrs": broker.transmitErrors = try integer()
            case "rxerrs": broker.receiveErrors = try integer()
            case "req_timeouts": broker.requestTimeouts = try integer()
            case "rtt": broker.rtt = try window()
            case "outbuf_latency": broker.outbufLatency = try window()
            default: try skipValue()
            }
        }
        return broker
    }

    private mutating func window() throws(Failure) -> RDKafkaStatistics.Window {
        var window = RDKafkaStatistics.Window()
        try beginObject()
        while let key = try nextKey() {
            switch key {
            case "avg": window.avg = try integer()
            case "p99": window.p99 = try integer()
            default: try skipValue()
            }
        }
        return window
    }

    private mutating func topic() throws(Failure) -> RDKafkaStatistics.Topic {
        var topic = RDKafkaStatistics.Topic()
        try beginObject()
        while let key = try nextKey() {
            guard key == "partitions" else {
                try skipValue()
                continue
            }
            try beginObject()
            while let number = try nextKey() { topic.partitions[number] = try partition() }
        }
        return topic
    }

    private mutating func partition() throws(Failure) -> RDKafkaStatistics.Partition {
        var partition = RDKafkaStatistics.Partition()
        try beginObject()
        while let key = try nextKey() {
            switch key {
            case "partition": partition.partition = Int32(clamping: try integer())
            case "desired": partition.desired = try boolean()
            case "consumer_lag": partition.consumerLag = try integer()
            case "consumer_lag_stored": partition.consumerLagStored = try integer()
            case "fetchq_cnt": partition.fetchQueueMessages = try integer()
            case "fetchq_size": partition.fetchQueueBytes = try integer()
            default: try skipValue()
            }
        }
        return partition
    }

    private mutating func group() throws(Failure) -> RDKafkaStatistics.Group {
        var group = RDKafkaStatistics.Group()
        try beginObject()
        while let key = try nextKey() {
            switch key {
            case "rebalance_cnt": group.rebalances = try integer()
            case "assignment_size": group.assignmentSize = try integer()
            default: try skipValue()
            }
        }
        return group
    }

    // MARK: JSON

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":"), minus = UInt8(ascii: "-")

    private func failure(_ reason: String) -> Failure { Failure(offset: index, reason: reason) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next byte that is not whitespace, not consumed.
    private mutating func peek() throws(Failure) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw failure("the document ends early") }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard try peek() == byte else { throw failure("expected \(what)") }
        index += 1
    }

    private mutating func beginObject() throws(Failure) { try expect(Self.openBrace, "an object") }

    /// The next member's key (its `:` consumed), or `nil` at the object's end (consumed).
    private mutating func nextKey() throws(Failure) -> String? {
        var byte = try peek()
        if byte == Self.closeBrace {
            index += 1
            return nil
        }
        if byte == Self.comma {
            index += 1
            byte = try peek()
        }
        guard byte == Self.quote else { throw failure("expected a member name") }
        let key = try string()
        try expect(Self.colon, "':'")
        return key
    }

    private mutating func string() throws(Failure) -> String {
        try expect(Self.quote, "a string")
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Self.quote {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == Self.backslash { return try escapedString(from: start) }
            index += 1
        }
        throw failure("a string is not closed")
    }

    /// The rest of a string with escapes in it (topic names may hold any character).
    private mutating func escapedString(from start: Int) throws(Failure) -> String {
        var text = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case Self.quote:
                return String(decoding: text, as: UTF8.self)
            case Self.backslash:
                guard index < bytes.count else { break }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count,
                          let code = UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<index + 4]), as: UTF8.self), radix: 16)
                    else { throw failure("a bad \\u escape") }
                    index += 4
                    // A lone surrogate half cannot stand for itself: the replacement character.
                    text.append(contentsOf: String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8)
                default: text.append(escaped)  // \" \\ \/
                }
            default:
                text.append(byte)
            }
        }
        throw failure("a string is not closed")
    }

    /// An integer; a fraction or exponent is read past (librdkafka writes integers).
    private mutating func integer() throws(Failure) -> Int64 {
        _ = try peek()
        var negative = false
        if bytes[index] == Self.minus {
            negative = true
            index += 1
        }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(bytes[index] - 0x30))
            value = o1 || o2 ? .max : sum
            index += 1
        }
        guard index > start else { throw failure("expected a number") }
        while index < bytes.count, Self.isNumberTail(bytes[index]) { index += 1 }
        return negative ? -value : value
    }

    private static func isNumberTail(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
            || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == minus
    }

    private mutating func boolean() throws(Failure) -> Bool {
        if try literal("true") { return true }
        if try literal("false") { return false }
        throw failure("expected true or false")
    }

    private mutating func literal(_ word: StaticString) throws(Failure) -> Bool {
        _ = try peek()
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] { return false }
        index += count
        return true
    }

    /// Skips one value of any kind. Objects and arrays are skipped by counting brackets
    /// (outside strings), without recursion: no document can exhaust the stack.
    private mutating func skipValue() throws(Failure) {
        switch try peek() {
        case Self.quote:
            try skipString()
        case Self.openBrace, Self.openBracket:
            var depth = 0
            repeat {
                guard index < bytes.count else { throw failure("the document ends early") }
                switch bytes[index] {
                case Self.quote:
                    try skipString()
                    continue
                case Self.openBrace, Self.openBracket: depth += 1
                case Self.closeBrace, Self.closeBracket: depth -= 1
                default: break
                }
                index += 1
            } while depth > 0
        case Self.minus, 0x30...0x39:
            _ = try integer()
        default:
            for word: StaticString in ["true", "false", "null"] where try literal(word) { return }
            throw failure("expected a value")
        }
    }

    /// Skips a string (at its opening quote) without making it.
    private mutating func skipString() throws(Failure) {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case Self.quote:
                index += 1
                return
            case Self.backslash: index += 2
            default: index += 1
            }
        }
        throw failure("a string is not closed")
    }
}
