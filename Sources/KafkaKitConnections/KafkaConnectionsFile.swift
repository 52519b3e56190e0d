public import KafkaKit
import Foundation

/// The contents of a `kafka.conf` file: `[general]`, named connections (`type = connection`),
/// broker IDs (`type = broker`) and event subscriptions (`type = subscription`).
///
/// ```ini
/// [general]
/// enabled = yes
///
/// [my-kafka]
/// type = connection
/// brokers = kafka1:9092,kafka2:9092   ; comments start with ';', also at line end ("\;" is a ';')
/// client_id = asterisk
/// acks = all                          ; any other key is a librdkafka property
///
/// [k1]                                ; a broker ID: the seed's [k1]127.0.0.1:9092/topic1?...
/// type = broker
/// socket = 127.0.0.1:9092/topic1?g.linger.ms=100&t.acks=all
///
/// [pike]                              ; raising E_PIKE_BLOCKED publishes to each socket
/// type = subscription
/// event = E_PIKE_BLOCKED
/// socket = kafka:127.0.0.1:9092/security?key=callid
/// socket = kafka:127.0.0.1:9092/audit
/// ```
public struct KafkaConnectionsFile: Sendable, Hashable {
    /// `[general] enabled`: `false` makes every connection unusable.
    public var isEnabled: Bool = true
    /// The connections, in file order.
    public var connections: [KafkaConnection] = []
    /// The broker IDs (`type = broker` sections), in file order.
    public var brokers: [KafkaBrokerSpec] = []
    /// The event subscriptions (`type = subscription` sections), in file order.
    public var subscriptions: [KafkaSubscription] = []
    /// The file read, if it came from one.
    public var path: String?

    public init() {}

    /// The connection of that name.
    public func connection(named name: String) -> KafkaConnection? {
        connections.first { $0.name == name }
    }

    /// The broker of that ID.
    public func broker(id: String) -> KafkaBrokerSpec? {
        brokers.first { $0.id == id }
    }

    /// The sockets subscribed to an event, from every subscription section naming it, each
    /// once (in file order).
    public func sockets(subscribedTo event: String) -> [KafkaSocket] {
        var seen = Set<KafkaSocket>()
        return subscriptions.filter { $0.event == event }.flatMap(\.sockets).filter { seen.insert($0).inserted }
    }

    /// Reads and parses a file.
    ///
    /// - Throws: `KafkaError` with the file and line of the first problem.
    public static func load(path: String) throws(KafkaError) -> KafkaConnectionsFile {
        try parse(try readText(path), file: path)
    }

    /// The file's text, or an error saying why not in the system's words (`No such file or
    /// directory`, `Permission denied`, `Is a directory`), or where it is not UTF-8.
    private static func readText(_ path: String) throws(KafkaError) -> String {
        func fail(_ why: String, line: Int? = nil, column: Int? = nil) -> KafkaError {
            KafkaError(code: .invalidArgument, message: "cannot read the configuration file: \(why)", file: path, line: line, position: column)
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw fail(String(cString: strerror(errno))) }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // Where the text stops being UTF-8: the line, and the column in characters.
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var valid = 0
        while case .valid(let scalar) = parser.parseScalar(from: &iterator) { valid += scalar.count }
        let before = String(decoding: bytes[..<valid], as: UTF8.self)
        let line = before.reduce(1) { $1.isNewline ? $0 + 1 : $0 }
        let column = before.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).last.map { $0.count + 1 } ?? 1
        throw fail(String(format: "byte 0x%02X is not UTF-8 text", bytes[valid]), line: line, column: column)
    }

    /// Parses `kafka.conf` text.
    ///
    /// - Throws: `KafkaError` naming the file, the line and what was wrong: a line that is
    ///   not `key = value` or `[section]`, a key outside any section, a duplicate section, an
    ///   unknown `type`, a section without `type`, a bad number, empty `brokers`, a bad `enabled`,
    ///   a bad `socket` (also with the column of the offending part), a broker or subscription
    ///   section without its keys.
    public static func parse(_ text: String, file: String = "kafka.conf") throws(KafkaError) -> KafkaConnectionsFile {
        var result = KafkaConnectionsFile()
        result.path = file
        typealias Entry = (key: String, value: String, line: Int, column: Int)
        struct Section { var name: String; var line: Int; var entries: [Entry] }
        var sections: [Section] = []
        var seen: [String: Int] = [:]

        func fail(_ line: Int, _ message: String, property: String? = nil) -> KafkaError {
            KafkaError(code: .invalidArgument, message: message, property: property, file: file, line: line)
        }

        // `isNewline`: "\r\n" is one Character in Swift, so CRLF files split right too.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            var line = Substring(raw)
            // ';' starts a comment; "\;" is a literal ';' (as in Asterisk's configuration files).
            if let semicolon = line.indices.first(where: { line[$0] == ";" && (($0 == line.startIndex) || line[line.index(before: $0)] != "\\") }) {
                line = line[..<semicolon]
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), trimmed.count > 2 else {
                    // The line itself is not quoted: a malformed line may hold a secret.
                    throw fail(number, "a line starting with '[' must be a section header: [NAME]")
                }
                let name = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else { throw fail(number, "empty section name") }
                if let first = seen[name] { throw fail(number, "duplicate section [\(name)] (first at line \(first))") }
                seen[name] = number
                sections.append(Section(name: name, line: number, entries: []))
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw fail(number, "the line is not 'key = value': it has no '='")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: "\\;", with: ";")
            guard !key.isEmpty else { throw fail(number, "the line has no key before '='") }
            guard !sections.isEmpty else { throw fail(number, "'\(key)' is outside any section", property: key) }
            // The value's column, so that errors inside it (a socket) can point into the line.
            let rawEquals = line.firstIndex(of: "=")!
            let valueStart = line[line.index(after: rawEquals)...].firstIndex { !$0.isWhitespace } ?? line.endIndex
            let column = line.distance(from: line.startIndex, to: valueStart) + 1
            sections[sections.count - 1].entries.append((key, value, number, column))
        }

        for section in sections {
            if section.name == "general" {
                for entry in section.entries {
                    switch entry.key {
                    case "enabled":
                        switch entry.value.lowercased() {
                        case "yes", "true", "on", "1": result.isEnabled = true
                        case "no", "false", "off", "0": result.isEnabled = false
                        default: throw fail(entry.line, "enabled must be yes or no, not '\(entry.value)'", property: "enabled")
                        }
                    default:
                        throw fail(entry.line, "unknown key '\(entry.key)' in [general] (known: enabled)", property: entry.key)
                    }
                }
                continue
            }
            guard let type = section.entries.first(where: { $0.key == "type" }) else {
                throw fail(section.line, "section [\(section.name)] has no 'type' (expected type = connection, broker or subscription)")
            }
            let types = section.entries.filter { $0.key == "type" }
            if types.count > 1 {
                throw fail(types[1].line, "'type' given twice in [\(section.name)] (first at line \(type.line))", property: "type")
            }
            func socket(_ entry: Entry, schemeRequired: Bool = true) throws(KafkaError) -> KafkaSocket {
                do {
                    return try KafkaSocket(parsing: entry.value, schemeRequired: schemeRequired)
                } catch {
                    var error = error
                    error.message = "[\(section.name)] socket: \(error.message)"
                    error.file = file
                    error.line = entry.line
                    error.position = error.position.map { entry.column + $0 - 1 }
                    throw error
                }
            }
            func single(_ key: String) throws(KafkaError) -> Entry {
                let found = section.entries.filter { $0.key == key }
                guard let first = found.first else {
                    throw fail(section.line, "section [\(section.name)] (type = \(type.value)) has no '\(key)'", property: key)
                }
                guard found.count == 1 else {
                    throw fail(found[1].line, "'\(key)' given twice in [\(section.name)] (first at line \(first.line))", property: key)
                }
                return first
            }
            func onlyKeys(_ known: [String]) throws(KafkaError) {
                if let other = section.entries.first(where: { !known.contains($0.key) }) {
                    throw fail(other.line, "unknown key '\(other.key)' in [\(section.name)] (type = \(type.value) takes \(known.dropFirst().joined(separator: ", ")))", property: other.key)
                }
            }
            switch type.value {
            case "connection":
                break
            case "broker":
                if let bad = section.name.first(where: { $0 == "/" || $0 == "[" || $0 == "]" || $0.isWhitespace }) {
                    throw fail(section.line, "broker ID [\(section.name)] must not contain '\(bad)'")
                }
                try onlyKeys(["type", "socket"])
                // As in an [ID] spec, the "kafka:" prefix is optional here.
                var broker = KafkaBrokerSpec(id: section.name, socket: try socket(try single("socket"), schemeRequired: false))
                broker.file = file
                broker.line = section.line
                result.brokers.append(broker)
                continue
            case "subscription":
                try onlyKeys(["type", "event", "socket"])
                let event = try single("event")
                guard !event.value.isEmpty else { throw fail(event.line, "empty event name in [\(section.name)]", property: "event") }
                var sockets: [KafkaSocket] = []
                for entry in section.entries where entry.key == "socket" { sockets.append(try socket(entry)) }
                guard !sockets.isEmpty else {
                    throw fail(section.line, "section [\(section.name)] (type = subscription) has no 'socket'", property: "socket")
                }
                var subscription = KafkaSubscription(event: event.value, sockets: sockets)
                subscription.file = file
                subscription.line = section.line
                result.subscriptions.append(subscription)
                continue
            default:
                throw fail(type.line, "unknown type '\(type.value)' in [\(section.name)] (expected connection, broker or subscription)", property: "type")
            }
            var connection = KafkaConnection(name: section.name)
            connection.file = file
            connection.line = section.line
            func number(_ entry: Entry) throws(KafkaError) -> Int {
                guard let n = Int(entry.value), n >= 0 else {
                    throw fail(entry.line, "\(entry.key) must be a non-negative whole number, not '\(entry.value)'", property: entry.key)
                }
                return n
            }
            // A key given twice would otherwise mean its last value, without a word.
            var firstLine: [String: Int] = [:]
            for entry in section.entries where entry.key != "type" {
                if let first = firstLine[entry.key] {
                    throw fail(entry.line, "'\(entry.key)' given twice in [\(section.name)] (first at line \(first))", property: entry.key)
                }
                firstLine[entry.key] = entry.line
                connection.propertyLines[KafkaConnection.propertyName(ofKey: entry.key)] = entry.line
                switch entry.key {
                case "socket", "event":
                    // Not librdkafka properties: taken as one, a socket's secrets would show
                    // wherever properties do (librdkafka refused the name only later).
                    throw fail(entry.line, "'\(entry.key)' is not a key of [\(section.name)] (type = connection): it belongs in a type = broker or subscription section", property: entry.key)
                case "brokers":
                    let brokers = entry.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    guard !brokers.isEmpty else { throw fail(entry.line, "brokers is empty in [\(section.name)]", property: "brokers") }
                    if let (message, position) = KafkaError.brokerListProblem(entry.value) {
                        var error = fail(entry.line, "brokers in [\(section.name)]: \(message)", property: "brokers")
                        error.position = entry.column + position - 1
                        throw error
                    }
                    connection.brokers = brokers
                case "client_id": connection.clientID = entry.value
                case "message_max_bytes": connection.messageMaxBytes = try number(entry)
                case "request_timeout_ms": connection.requestTimeoutMilliseconds = try number(entry)
                case "message_timeout_ms": connection.messageTimeoutMilliseconds = try number(entry)
                default: connection.properties[entry.key] = entry.value
                }
            }
            result.connections.append(connection)
        }
        return result
    }
}

extension KafkaError {
    /// `no <what> '<name>' (known: …)`: a name nothing declares, with the names that are.
    package static func notDeclared(_ what: String, _ name: String, known: [String], file: String? = nil) -> KafkaError {
        KafkaError(
            code: .invalidArgument,
            message: "no \(what) '\(name)'" + (known.isEmpty ? " (none are declared)" : " (known: \(known.joined(separator: ", ")))"),
            file: file)
    }
}
