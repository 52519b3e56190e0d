import KafkaKit
import KafkaKitConnections

/// What every parse error of a socket, broker spec or JSON text must be: an invalid-argument
/// error saying what was wrong, pointing at a character of the text (or just past its end).
public func checkPositioned(_ error: KafkaError, in text: String) {
    check(error.code == .invalidArgument, "code \(error.code.name), not _INVALID_ARG: \(error)")
    check(!error.message.isEmpty, "an empty message: \(error)")
    check(error.file == nil && error.line == nil, "a file or line for a text: \(error)")
    guard let position = error.position else { return check(false, "no position: \(error)") }
    check((1...(text.count + 1)).contains(position), "position \(position) outside 1...\(text.count + 1): \(error)")
}

/// The socket with the values of secret properties as its description shows them.
public func redacted(_ socket: KafkaSocket) -> KafkaSocket {
    var socket = socket
    socket.properties = socket.properties.map { property in
        var property = property
        property.value = KafkaConfiguration.shownValue(property.value, of: property.name)
        return property
    }
    return socket
}

/// What a parsed socket must be: its documented grammar, and a description that parses back to
/// it (secrets redacted).
public func checkSocket(_ socket: KafkaSocket, from text: String) {
    check(!socket.brokers.isEmpty, "no brokers from '\(text)'")
    for broker in socket.brokers {
        let port = broker.split(separator: ":").last.flatMap { Int($0) }
        check(!broker.contains(where: \.isWhitespace) && port.map { (1...65535).contains($0) } == true,
              "broker '\(broker)' from '\(text)'")
    }
    check((1...249).contains(socket.topic.count) && socket.topic != "." && socket.topic != ".."
          && socket.topic.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) },
          "topic '\(socket.topic)' from '\(text)'")
    var seen = Set<String>()
    for property in socket.properties {
        check(!property.name.isEmpty, "an empty property name from '\(text)'")
        check(seen.insert("\(property.scope.rawValue).\(property.name)").inserted, "property \(property.name) twice from '\(text)'")
        check(property.position.map { (1...text.count).contains($0) } == true, "property position \(String(describing: property.position)) from '\(text)'")
    }
    do throws(KafkaError) {
        let again = try KafkaSocket(parsing: socket.description)
        check(again == redacted(socket), "'\(text)' is shown as '\(socket.description)', which parses to \(again)")
    } catch {
        check(false, "'\(text)' is shown as '\(socket.description)', which does not parse: \(error)")
    }
}

/// What a parsed broker spec must be: an ID without whitespace or brackets, a valid socket, and
/// a description that parses back to it.
public func checkBrokerSpec(_ spec: KafkaBrokerSpec, from text: String) {
    check(!spec.id.isEmpty && !spec.id.contains { $0.isWhitespace || $0 == "[" || $0 == "]" }, "broker ID '\(spec.id)' from '\(text)'")
    checkSocket(spec.socket, from: text)
    do throws(KafkaError) {
        let again = try KafkaBrokerSpec(parsing: spec.description)
        check(again.id == spec.id && again.socket == redacted(spec.socket), "'\(text)' is shown as '\(spec.description)', which parses to \(again)")
    } catch {
        check(false, "'\(text)' is shown as '\(spec.description)', which does not parse: \(error)")
    }
}
