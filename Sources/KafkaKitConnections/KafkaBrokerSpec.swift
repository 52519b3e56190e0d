public import KafkaKit

/// A named broker to publish to: `[ID]BROKERS/TOPIC[?PROPS]` (event_kafka's `broker_id`).
///
/// ```text
/// [k1]127.0.0.1:9092/topic1?g.linger.ms=100&t.acks=all
/// ```
///
/// The part after `[ID]` is a ``KafkaSocket`` (the `kafka:` prefix is optional: `[k1]kafka:9092/t`
/// is the broker `kafka:9092`, `[k1]kafka:kafka:9092/t` the same with the prefix). As in the
/// seed, `key=callid` is accepted but has no effect here: a publish names its key itself.
/// In `kafka.conf` a broker is a section (`type = broker`, `socket = ...`) named by its ID.
public struct KafkaBrokerSpec: Sendable, Hashable, CustomStringConvertible {
    /// The broker ID that publishes name.
    public var id: String
    /// Where records go.
    public var socket: KafkaSocket
    /// Where it was declared (a `kafka.conf` section), for messages.
    public var file: String?
    public var line: Int?

    public init(id: String, socket: KafkaSocket) {
        self.id = id
        self.socket = socket
    }

    /// Parses `[ID]BROKERS/TOPIC[?PROPS]`.
    ///
    /// - Throws: `KafkaError` naming the offending part, with its 1-based
    ///   `KafkaError/position` in `text`.
    public init(parsing text: String) throws(KafkaError) {
        var scanner = KafkaSocketScanner(text)
        guard scanner.text.first == "[" else {
            throw scanner.fail("a broker spec starts with '[ID]' ([ID]BROKERS/TOPIC[?PROPS])", at: 0)
        }
        guard let close = scanner.text.firstIndex(of: "]") else {
            throw scanner.fail("missing ']' after the broker ID", at: scanner.text.count)
        }
        let id = String(scanner.text[1..<close])
        guard !id.isEmpty else { throw scanner.fail("empty broker ID in '[]'", at: 1) }
        if let bad = scanner.text[1..<close].firstIndex(where: { $0.isWhitespace || $0 == "[" }) {
            throw scanner.fail("invalid character '\(scanner.text[bad])' in broker ID '\(id)'", at: bad)
        }
        scanner.index = close + 1
        scanner.skipOptionalScheme()
        self.init(id: id, socket: try scanner.socketBody())
    }

    /// Parses several specs (a `broker_id` parameter set several times).
    ///
    /// - Throws: `KafkaError` for the first bad spec (the message says which, counting from 1),
    ///   or for an ID given twice.
    public static func parseAll(_ texts: [String]) throws(KafkaError) -> [KafkaBrokerSpec] {
        var specs: [KafkaBrokerSpec] = []
        var seen: [String: Int] = [:]
        for (index, text) in texts.enumerated() {
            let spec: KafkaBrokerSpec
            do {
                spec = try KafkaBrokerSpec(parsing: text)
            } catch {
                var error = error
                error.message = "broker spec \(index + 1): \(error.message)"
                throw error
            }
            if let first = seen[spec.id] {
                throw KafkaError(
                    code: .invalidArgument,
                    message: "duplicate broker ID '\(spec.id)' in broker spec \(index + 1) (first in spec \(first + 1))",
                    position: 2)
            }
            seen[spec.id] = index
            specs.append(spec)
        }
        return specs
    }

    /// The spec as text, secrets redacted.
    public var description: String { "[\(id)]" + socket.bodyDescription }
}
