import KafkaKit
import KafkaKitConnections
import KafkaKitEvents
import Testing

/// Issue 11, for JSON params, event names and what a publish is given: every bad input is a
/// ``KafkaError`` naming what was wrong and where.
@Suite("Bad input: JSON params, event names, publishing")
struct EventsBadInputTests {
    /// JSON text, the 1-based character position the error must point at, and words.
    struct JSONRow: Sendable, CustomTestStringConvertible {
        var text: String
        var position: Int
        var says: String
        var testDescription: String { "\(text.prefix(40)) → \(position): \(says)" }
    }

    static let jsonRows: [JSONRow] = [
        JSONRow(text: "", position: 1, says: "expected a value (found the end)"),
        JSONRow(text: "   ", position: 4, says: "expected a value"),
        JSONRow(text: "{", position: 2, says: "expected a member name in quotes"),
        JSONRow(text: "{a:1}", position: 2, says: "expected a member name in quotes (found 'a:1}')"),
        JSONRow(text: #"{"a"}"#, position: 5, says: "expected ':' after the member name"),
        JSONRow(text: #"{"a":}"#, position: 6, says: "expected a value"),
        JSONRow(text: #"{"a":1,}"#, position: 8, says: "expected a member name in quotes"),
        JSONRow(text: #"{"a":1"#, position: 7, says: "expected ',' or '}'"),
        JSONRow(text: "[1,]", position: 4, says: "expected a value"),
        JSONRow(text: "[1 2]", position: 4, says: "expected ',' or ']'"),
        JSONRow(text: "tru", position: 1, says: "expected a value"),
        JSONRow(text: "True", position: 1, says: "expected a value"),
        JSONRow(text: "01", position: 1, says: "numbers do not start with 0"),
        JSONRow(text: "-", position: 2, says: "expected digits"),
        JSONRow(text: "+1", position: 1, says: "expected a value"),
        JSONRow(text: "1.", position: 3, says: "expected digits after '.'"),
        JSONRow(text: "1e", position: 3, says: "expected digits in the exponent"),
        JSONRow(text: "1e999", position: 1, says: "number out of range"),
        JSONRow(text: #""abc"#, position: 5, says: "unterminated string"),
        JSONRow(text: #""a\x""#, position: 3, says: #"invalid escape '\x'"#),
        JSONRow(text: #""\u12""#, position: 4, says: #"expected four hex digits after \u"#),
        JSONRow(text: #""\ud800""#, position: 8, says: "a high surrogate must be followed"),
        JSONRow(text: #""\udc00""#, position: 2, says: #"invalid \u escape"#),
        JSONRow(text: "\"a\nb\"", position: 3, says: "control characters in strings must be escaped"),
        JSONRow(text: "{} x", position: 4, says: "unexpected text after the JSON value"),
        JSONRow(text: "'a'", position: 1, says: "expected a value"),
        JSONRow(text: "[\"é\", x]", position: 7, says: "expected a value (found 'x]')"),
        JSONRow(text: String(repeating: "[", count: 300), position: 257, says: "nested more than 256 levels deep"),
    ]

    @Test("JSON params: each malformed text says what was expected, what was found, and where", arguments: jsonRows)
    func json(_ row: JSONRow) throws {
        let error = try #require(throws: KafkaError.self) { try KafkaJSON(parsing: row.text) }
        #expect(error.code == .invalidArgument)
        #expect(error.position == row.position, "\(error)")
        #expect(error.message.hasPrefix("invalid JSON: "), "\(error)")
        #expect(error.message.contains(row.says), "\(error)")
    }

    /// Inputs Kafka carries that look odd: each is accepted and comes out as it went in.
    static let jsonAccepted: [(String, String)] = [
        (#"{"":1}"#, #"{"":1}"#),
        (#"{"a":1,"a":2}"#, #"{"a":1,"a":2}"#),
        (#""\u0000""#, #""\u0000""#),
        (#""\ud83d\ude00""#, "\"\u{1F600}\""),
        ("  [ ]  ", "[]"),
    ]

    @Test("JSON params: empty names, repeated names, NUL and astral characters are carried as written", arguments: jsonAccepted)
    func jsonCarried(_ text: String, _ written: String) throws {
        #expect(try KafkaJSON(parsing: text).jsonText == written)
    }

    @Test("event names: an event without a name is refused, raised or awaited, and goes nowhere", arguments: [
        [String](), ["kafka:127.0.0.1:1/t"], ["kafka:127.0.0.1:1/t", "kafka:127.0.0.1:1/u?key=callid"],
    ])
    func emptyEventName(_ sockets: [String]) async throws {
        let sockets = try sockets.map { try KafkaSocket(parsing: $0) }
        let publisher = try KafkaEventPublisher(subscriptions: [KafkaSubscription(event: "", sockets: sockets)])
        let event = KafkaEvent(name: "", params: ["ip": "192.168.2.11"], correlationKey: "call-1")
        let raised = try #require(throws: KafkaError.self) { try publisher.raise(event) }
        #expect(raised.message.contains("the event has no name"), "\(raised)")
        #expect(throws: KafkaError.self) { try publisher.raise(event, to: sockets) }
        let reports = await publisher.raiseAndWait(event, to: sockets)
        #expect(reports.count == sockets.count)
        for report in reports {
            guard case .failure(let error) = report.status else { Issue.record("\(report.socket) delivered"); continue }
            #expect(error.message.contains("the event has no name"))
        }
        await publisher.shutdown(timeout: .zero)
    }

    /// What a publish names that cannot be published: the target, and words of the error.
    struct PublishRow: Sendable, CustomTestStringConvertible {
        var name: String
        var target: String
        var message: [UInt8] = Array("m".utf8)
        var says: [String]
        var property: String? = nil
        var testDescription: String { name }
    }

    static let publishRows: [PublishRow] = [
        PublishRow(name: "unknown broker ID", target: "nope", says: ["no broker ID 'nope' (known: k1)"]),
        PublishRow(name: "empty broker ID", target: "", says: ["no broker ID '' (known: k1)"]),
        PublishRow(name: "a property librdkafka rejects", target: "kafka:127.0.0.1:1/t?g.no.such.property=1",
                   says: ["unknown configuration property \"no.such.property\""], property: "no.such.property"),
        PublishRow(name: "a value librdkafka rejects", target: "kafka:127.0.0.1:1/t?t.acks=banana", says: ["acks"], property: "acks"),
        PublishRow(name: "a message over message.max.bytes", target: "kafka:127.0.0.1:1/t?g.message.max.bytes=1000",
                   message: [UInt8](repeating: 0x61, count: 5000),
                   says: ["message of 5000 bytes", "message.max.bytes (1000)"], property: "message.max.bytes"),
    ]

    @Test("publishing: an unknown broker ID lists the known ones; a rejected property or oversize message is named", arguments: publishRows)
    func publish(_ row: PublishRow) async throws {
        let publisher = try KafkaEventPublisher(brokers: [try KafkaBrokerSpec(parsing: "[k1]127.0.0.1:1/a")])
        let error: KafkaError
        if row.target.hasPrefix("kafka:") {
            let socket = try KafkaSocket(parsing: row.target)
            error = try #require(throws: KafkaError.self) { try publisher.publish(to: socket, message: row.message) }
            #expect(error.message.contains("socket kafka:127.0.0.1:1/t"), "\(error)")
        } else {
            error = try #require(throws: KafkaError.self) { try publisher.publish(broker: row.target, message: row.message) }
        }
        for words in row.says { #expect(error.message.contains(words), "\(error)") }
        if let property = row.property { #expect(error.property == property, "\(error)") }
        await publisher.shutdown(timeout: .zero)
    }
}
