public import KafkaKit
import Foundation

/// A broker socket: where to publish, as event_kafka writes it.
///
/// ```text
/// kafka:BROKERS/TOPIC[?PROPS]
/// kafka:127.0.0.1:9092/topic1?t.message.timeout.ms=1000&key=callid
/// kafka:[::1]:9092,kafka2:9092/audit?g.linger.ms=100&t.acks=all
/// ```
///
/// - `BROKERS`: bootstrap servers, `host:port` separated by commas; IPv6 addresses in brackets.
/// - `TOPIC`: a Kafka topic name (up to 249 of `a-z A-Z 0-9 . _ -`).
/// - `PROPS`: `g.NAME=VALUE` (a global librdkafka property) or `t.NAME=VALUE` (a topic
///   property), joined by `&` and percent-decoded; plus `key=callid`, which is not passed to
///   librdkafka: it makes the publisher use an event's correlation key as the record key.
///
/// Parsing checks the syntax; librdkafka checks property names and values when the socket's
/// producer is created.
public struct KafkaSocket: Sendable, Hashable, CustomStringConvertible {
    /// A librdkafka property of the socket.
    public struct Property: Sendable, Hashable {
        /// Whether librdkafka takes the property as global (`g.`) or topic-level (`t.`).
        public enum Scope: String, Sendable, Hashable {
            case global = "g"
            case topic = "t"
        }

        public var scope: Scope
        public var name: String
        public var value: String
        /// Where the property starts in the parsed text (1-based), for messages.
        public var position: Int?

        public init(scope: Scope, name: String, value: String, position: Int? = nil) {
            self.scope = scope
            self.name = name
            self.value = value
            self.position = position
        }

        public static func == (a: Self, b: Self) -> Bool {
            a.scope == b.scope && a.name == b.name && a.value == b.value
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(scope)
            hasher.combine(name)
            hasher.combine(value)
        }
    }

    /// Bootstrap servers, `host:port` (IPv6 as `[address]:port`).
    public var brokers: [String]
    /// The topic records are published to.
    public var topic: String
    /// librdkafka properties, in the order written.
    public var properties: [Property]
    /// `key=callid`: records carry the event's correlation key as their key.
    public var usesCorrelationKey: Bool

    public init(brokers: [String], topic: String, properties: [Property] = [], usesCorrelationKey: Bool = false) {
        self.brokers = brokers
        self.topic = topic
        self.properties = properties
        self.usesCorrelationKey = usesCorrelationKey
    }

    /// Parses `kafka:BROKERS/TOPIC[?PROPS]`.
    ///
    /// - Throws: `KafkaError` naming the offending part, with its 1-based
    ///   `KafkaError/position` in `text`.
    public init(parsing text: String) throws(KafkaError) {
        try self.init(parsing: text, schemeRequired: true)
    }

    /// Parses `kafka:BROKERS/TOPIC[?PROPS]`, or with `schemeRequired: false` also
    /// `BROKERS/TOPIC[?PROPS]` (a `type = broker` section's `socket`, as after a broker spec's `[ID]`).
    ///
    /// - Throws: ``KafkaError`` as ``init(parsing:)`` does.
    package init(parsing text: String, schemeRequired: Bool) throws(KafkaError) {
        var scanner = KafkaSocketScanner(text)
        if schemeRequired { try scanner.expectScheme() } else { scanner.skipOptionalScheme() }
        self = try scanner.socketBody()
    }

    /// The client configuration of the socket's producer: its brokers and properties.
    public var configuration: KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: brokers)
        for property in properties {
            switch property.scope {
            case .global: configuration.properties[property.name] = property.value
            case .topic: configuration.topicProperties[property.name] = property.value
            }
        }
        return configuration
    }

    /// The position of a property in the parsed text, if it came from one.
    public func position(ofProperty name: String) -> Int? {
        properties.first { $0.name == name }?.position
    }

    /// The socket as text, values of secret properties (passwords, keys) shown as `[redacted]`.
    public var description: String { "kafka:" + bodyDescription }

    /// `BROKERS/TOPIC[?PROPS]`, secrets redacted.
    var bodyDescription: String {
        var text = brokers.joined(separator: ",") + "/" + topic
        var props = properties.map { property in
            let value = KafkaConfiguration.shownValue(percentEncoded(property.value), of: property.name)
            return "\(property.scope.rawValue).\(percentEncoded(property.name))=\(value)"
        }
        if usesCorrelationKey { props.append("key=callid") }
        if !props.isEmpty { text += "?" + props.joined(separator: "&") }
        return text
    }
}

private func percentEncoded(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "#"), 0...0x20, 0x7f...:
            result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        default:
            result.unicodeScalars.append(Unicode.Scalar(byte))
        }
    }
    return result
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Reads socket and broker-spec text, keeping 1-based character positions for errors.
struct KafkaSocketScanner {
    let text: [Character]
    var index = 0

    init(_ text: String) { self.text = Array(text) }

    func fail(_ message: String, at offset: Int, property: String? = nil) -> KafkaError {
        KafkaError(code: .invalidArgument, message: message, property: property, position: offset + 1)
    }

    /// Skips `kafka:`, or fails when the text does not start with it.
    mutating func expectScheme() throws(KafkaError) {
        guard skipScheme() else {
            throw fail("a Kafka socket must start with 'kafka:' (kafka:BROKERS/TOPIC[?PROPS])", at: index)
        }
    }

    /// Skips `kafka:` if present (case-insensitive, as URI schemes are).
    mutating func skipScheme() -> Bool {
        let scheme = Array("kafka:")
        guard text.count - index >= scheme.count,
              zip(text[index..<(index + scheme.count)], scheme).allSatisfy({ $0.lowercased() == String($1) })
        else { return false }
        index += scheme.count
        return true
    }

    /// Skips `kafka:` where it is optional and a scheme: not where a port follows it, as in
    /// `kafka:9092/t`, the broker list of a host named `kafka`.
    mutating func skipOptionalScheme() {
        let start = index
        guard skipScheme() else { return }
        let next = text[index...].prefix { $0 != "," && $0 != "/" }
        if !next.isEmpty, next.allSatisfy({ $0.isASCII && $0.isNumber }) { index = start }
    }

    /// `BROKERS/TOPIC[?PROPS]` from the current position to the end.
    mutating func socketBody() throws(KafkaError) -> KafkaSocket {
        let brokersStart = index
        let slash = text[index...].firstIndex(of: "/")
        let brokersEnd = slash ?? text.count
        let brokers = try parseBrokers(from: brokersStart, to: brokersEnd)
        guard let slash else {
            throw fail("missing '/TOPIC' after the broker list", at: text.count)
        }
        let topicStart = slash + 1
        let question = text[topicStart...].firstIndex(of: "?")
        let topicEnd = question ?? text.count
        let topic = try parseTopic(from: topicStart, to: topicEnd)
        var socket = KafkaSocket(brokers: brokers, topic: topic)
        if let question {
            try parseProperties(from: question + 1, into: &socket)
        }
        index = text.count
        return socket
    }

    private func parseBrokers(from start: Int, to end: Int) throws(KafkaError) -> [String] {
        guard start < end else {
            throw fail("empty broker list: expected host:port[,host:port...] after 'kafka:'", at: start)
        }
        var brokers: [String] = []
        var entryStart = start
        for i in start...end where i == end || text[i] == "," {
            try brokers.append(parseBroker(from: entryStart, to: i))
            entryStart = i + 1
        }
        return brokers
    }

    private func parseBroker(from start: Int, to end: Int) throws(KafkaError) -> String {
        let entry = String(text[start..<end])
        guard start < end else {
            throw fail("empty broker address in the broker list (a stray ',')", at: start)
        }
        if let space = text[start..<end].firstIndex(where: \.isWhitespace) {
            throw fail("broker address '\(entry)' contains a space", at: space)
        }
        let portSeparator: Int
        if text[start] == "[" {
            guard let close = text[start..<end].firstIndex(of: "]") else {
                throw fail("unclosed '[' in broker '\(entry)' (IPv6 addresses are written [address]:port)", at: start)
            }
            let address = text[(start + 1)..<close]
            guard !address.isEmpty, address.contains(":"),
                  address.allSatisfy({ $0.isASCIIHexDigit || $0 == ":" || $0 == "." })
            else {
                throw fail("'\(String(address))' in broker '\(entry)' is not an IPv6 address", at: start + 1)
            }
            guard close + 1 < end, text[close + 1] == ":" else {
                throw fail("missing port in broker '\(entry)' (expected [address]:port)", at: close + 1)
            }
            portSeparator = close + 1
        } else {
            guard let colon = text[start..<end].lastIndex(of: ":") else {
                throw fail("missing port in broker '\(entry)' (expected host:port, such as \(entry):9092)", at: end)
            }
            if let first = text[start..<colon].firstIndex(of: ":") {
                throw fail("broker '\(entry)' looks like an IPv6 address: write it in brackets, [address]:port", at: first)
            }
            guard start < colon else { throw fail("missing host in broker '\(entry)'", at: start) }
            if let bad = text[start..<colon].firstIndex(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_")) }) {
                throw fail("invalid character '\(text[bad])' in the host of broker '\(entry)'", at: bad)
            }
            portSeparator = colon
        }
        let port = String(text[(portSeparator + 1)..<end])
        guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), (1...65535).contains(number) else {
            throw fail("bad port '\(port)' in broker '\(entry)' (expected a number from 1 to 65535)", at: portSeparator + 1)
        }
        return entry
    }

    private func parseTopic(from start: Int, to end: Int) throws(KafkaError) -> String {
        guard start < end else { throw fail("missing topic after '/'", at: start) }
        let topic = String(text[start..<end])
        if let bad = text[start..<end].firstIndex(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-")) }) {
            throw fail("invalid character '\(text[bad])' in topic '\(topic)' (topic names use a-z, A-Z, 0-9, '.', '_' and '-')", at: bad)
        }
        guard topic != ".", topic != ".." else { throw fail("'\(topic)' is not a valid topic name", at: start) }
        guard end - start <= 249 else {
            throw fail("topic name is \(end - start) characters long (at most 249)", at: start)
        }
        return topic
    }

    private func parseProperties(from start: Int, into socket: inout KafkaSocket) throws(KafkaError) {
        guard start < text.count else {
            throw fail("empty property list after '?' (expected g.NAME=VALUE, t.NAME=VALUE or key=callid)", at: start)
        }
        var seen: [String: Int] = [:]
        var itemStart = start
        for i in start...text.count where i == text.count || text[i] == "&" {
            defer { itemStart = i + 1 }
            guard itemStart < i else {
                throw fail("empty property (a stray '&')", at: itemStart)
            }
            let item = text[itemStart..<i]
            guard let equals = item.firstIndex(of: "=") else {
                // Without '=' the name's end is unknown: a secret may follow it, so such an
                // item is not quoted.
                let text = String(item)
                let shown = KafkaConfiguration.isSensitive(text.removingPercentEncoding ?? text) ? "" : " '\(text)'"
                throw fail("property\(shown) has no value (expected NAME=VALUE)", at: itemStart)
            }
            let name = try percentDecode(from: itemStart, to: equals)
            let value = try percentDecode(from: equals + 1, to: i)
            let scope: KafkaSocket.Property.Scope
            if name.hasPrefix("g.") {
                scope = .global
            } else if name.hasPrefix("t.") {
                scope = .topic
            } else if name == "key" {
                guard value == "callid" else {
                    throw fail("unknown extra 'key=\(value)' (the only extra is key=callid)", at: itemStart, property: "key")
                }
                if let first = seen["key"] { throw fail("duplicate key=callid (first at position \(first + 1))", at: itemStart, property: "key") }
                seen["key"] = itemStart
                socket.usesCorrelationKey = true
                continue
            } else if let known = KafkaConfiguration.scope(ofProperty: name) {
                let prefix = known == .global ? "g." : "t."
                throw fail("property '\(name)' needs a 'g.' (global) or 't.' (topic) prefix: librdkafka's '\(name)' is \(known == .global ? "global" : "topic-level"), so write '\(prefix)\(name)'", at: itemStart, property: name)
            } else if name.contains(".") {
                throw fail("property '\(name)' needs a 'g.' (global) or 't.' (topic) prefix", at: itemStart, property: name)
            } else {
                throw fail("unknown extra '\(name)' (the only extra is key=callid; librdkafka properties take a g. or t. prefix)", at: itemStart, property: name)
            }
            let bare = String(name.dropFirst(2))
            guard !bare.isEmpty else { throw fail("missing property name after '\(name)'", at: itemStart) }
            if scope == .global, bare == "bootstrap.servers" || bare == "metadata.broker.list" {
                throw fail("'\(name)' repeats the broker list: write the brokers before '/'", at: itemStart, property: bare)
            }
            if let first = seen[name] {
                throw fail("duplicate property '\(name)' (first at position \(first + 1))", at: itemStart, property: bare)
            }
            seen[name] = itemStart
            socket.properties.append(.init(scope: scope, name: bare, value: value, position: itemStart + 1))
        }
    }

    /// Decodes `%XX` escapes (UTF-8) in `text[start..<end]`.
    private func percentDecode(from start: Int, to end: Int) throws(KafkaError) -> String {
        var bytes: [UInt8] = []
        var i = start
        while i < end {
            let character = text[i]
            if character == "%" {
                guard i + 2 < end, text[i + 1].isASCIIHexDigit, text[i + 2].isASCIIHexDigit,
                      let high = text[i + 1].hexDigitValue, let low = text[i + 2].hexDigitValue
                else {
                    throw fail("bad percent escape: '%' must be followed by two hex digits", at: i)
                }
                bytes.append(UInt8(high << 4 | low))
                i += 3
            } else {
                bytes.append(contentsOf: String(character).utf8)
                i += 1
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw fail("percent escapes do not decode to UTF-8 text", at: text[start..<end].firstIndex(of: "%") ?? start)
        }
        return decoded
    }
}

extension Character {
    /// 0-9, a-f, A-F only (`isHexDigit` also takes full-width forms).
    var isASCIIHexDigit: Bool { isASCII && isHexDigit }
}

extension KafkaSocket.Property: CustomStringConvertible, CustomReflectable {
    /// The value as it may be shown: `[redacted]` for a secret.
    var shownValue: String { KafkaConfiguration.shownValue(value, of: name) }

    /// `g.NAME=VALUE` or `t.NAME=VALUE`, a secret's value redacted.
    public var description: String { "\(scope.rawValue).\(name)=\(shownValue)" }

    /// What `dump` and debuggers show: the value redacted for a secret.
    public var customMirror: Mirror {
        Mirror(self, children: ["scope": scope, "name": name, "value": shownValue, "position": position as Any])
    }
}
