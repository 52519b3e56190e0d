/// The checks of names librdkafka takes without looking: topic names (the broker refuses a bad
/// one only after a round trip, with `TOPIC_EXCEPTION` and no reason) and broker lists
/// (librdkafka reads `host:x` as port 0 and never says so).
extension KafkaError {
    /// Kafka's rule for topic names, as messages quote it.
    package static let topicNameRule = "a topic name is 1 to 249 characters of a-z, A-Z, 0-9, '.', '_' and '-', and not '.' or '..'"

    /// Why Kafka refuses `name` as a topic name (`it is empty`, `' ' is not allowed`, ...), or
    /// `nil` when it is a valid one.
    package static func topicNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name == "." || name == ".." { return "it is '\(name)'" }
        if let bad = name.unicodeScalars.first(where: { !$0.isTopicNameCharacter }) {
            return "'\(bad.escaped(asASCII: false))' is not allowed"
        }
        if name.utf8.count > 249 { return "it has \(name.utf8.count) characters" }
        return nil
    }

    /// `invalid topic name 'NAME': WHY (RULE)`, or `nil` when `name` is a valid topic name.
    package static func invalidTopicName(_ name: String) -> KafkaError? {
        guard let problem = topicNameProblem(name) else { return nil }
        return KafkaError(
            code: .invalidArgument, message: "invalid topic name '\(name)': \(problem) (\(topicNameRule))", topic: name)
    }

    /// `: invalid topic name 'NAME': WHY (RULE)` when `code` says the topic was refused — by the
    /// broker (`TOPIC_EXCEPTION`), or by librdkafka after the broker did (`_UNKNOWN_TOPIC`) —
    /// and its name is one Kafka does not allow: neither says why. Otherwise empty.
    static func topicNameReason(_ code: Code, topic: String?) -> String {
        guard code == .invalidTopic || code == .unknownTopic, let topic, let problem = topicNameProblem(topic) else { return "" }
        return ": invalid topic name '\(topic)': \(problem) (\(topicNameRule))"
    }

    /// What is wrong with a broker list (`bootstrap.servers`: `[PROTO://]HOST[:PORT]` entries
    /// separated by commas or spaces, IPv6 as `[ADDRESS]:PORT`), with the 1-based position of the
    /// offending entry; `nil` when librdkafka will read it as written.
    package static func brokerListProblem(_ list: String) -> (message: String, position: Int)? {
        let characters = Array(list)
        var entries: [(text: String, start: Int)] = []
        var start = 0
        for i in 0...characters.count where i == characters.count || characters[i] == "," || characters[i] == " " {
            if i > start { entries.append((String(characters[start..<i]), start)) }
            start = i + 1
        }
        guard !entries.isEmpty else { return ("the broker list is empty: expected HOST:PORT[,HOST:PORT...]", 1) }
        for (entry, start) in entries {
            var hostAndPort = Substring(entry)
            if let scheme = entry.range(of: "://") { hostAndPort = entry[scheme.upperBound...] }
            let port: Substring?
            if hostAndPort.hasPrefix("[") {
                guard let close = hostAndPort.firstIndex(of: "]") else {
                    return ("unclosed '[' in broker '\(entry)' (IPv6 addresses are written [ADDRESS]:PORT)", start + 1)
                }
                let rest = hostAndPort[hostAndPort.index(after: close)...]
                guard rest.isEmpty || rest.hasPrefix(":") else {
                    return ("unexpected '\(rest)' after ']' in broker '\(entry)' (expected [ADDRESS]:PORT)", start + 1)
                }
                port = rest.isEmpty ? nil : rest.dropFirst()
            } else {
                let colons = hostAndPort.filter { $0 == ":" }.count
                // Two or more: a bare IPv6 address, which librdkafka reads without a port.
                port = colons == 1 ? hostAndPort[hostAndPort.index(after: hostAndPort.firstIndex(of: ":")!)...] : nil
                if colons == 1, hostAndPort.first == ":" { return ("missing host in broker '\(entry)'", start + 1) }
            }
            if hostAndPort.isEmpty { return ("missing host in broker '\(entry)'", start + 1) }
            if let port {
                guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), (1...65535).contains(number) else {
                    let position = start + entry.distance(from: entry.startIndex, to: port.startIndex) + 1
                    return ("bad port '\(port)' in broker '\(entry)' (expected a number from 1 to 65535)", position)
                }
            }
        }
        return nil
    }
}

extension Unicode.Scalar {
    /// a-z, A-Z, 0-9, `.`, `_` and `-`.
    fileprivate var isTopicNameCharacter: Bool {
        switch value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2E, 0x5F, 0x2D: true
        default: false
        }
    }
}
