// kafka.conf (KafkaConnectionsFile.parse): what it reads obeys the format, every socket and
// broker in it parses back from its description; an error names the file, a line of it and
// (inside a socket) a column of that line; no secret value is ever shown, in an error or a dump.
import FuzzSupport
import KafkaKit
import KafkaKitConnections

/// What parsing `text` shows a user: a dump of everything read, or the error's description.
func shown(_ text: String) -> String {
    do throws(KafkaError) {
        let file = try KafkaConnectionsFile.parse(text)
        var out = ""
        dump(file, to: &out)
        for broker in file.brokers { out += broker.description }
        for socket in file.subscriptions.flatMap(\.sockets) { out += socket.description }
        return out
    } catch {
        return error.description
    }
}

runFuzzer { data in
    let text = String(decoding: data, as: UTF8.self)
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    do throws(KafkaError) {
        let file = try KafkaConnectionsFile.parse(text)
        var names = Set<String>()
        for connection in file.connections {
            check(names.insert(connection.name).inserted, "section [\(connection.name)] twice")
            check(!connection.brokers.isEmpty && connection.brokers.allSatisfy { !$0.isEmpty }, "brokers \(connection.brokers) of [\(connection.name)]")
            check(connection.line.map { (1...lines.count).contains($0) } == true, "line \(String(describing: connection.line)) of [\(connection.name)]")
        }
        for broker in file.brokers {
            check(names.insert(broker.id).inserted, "section [\(broker.id)] twice")
            check(!broker.id.contains("/"), "broker ID [\(broker.id)] with a '/'")
            checkBrokerSpec(broker, from: text)
        }
        for subscription in file.subscriptions {
            check(!subscription.event.isEmpty && !subscription.sockets.isEmpty, "subscription \(subscription)")
            for socket in subscription.sockets { checkSocket(socket, from: text) }
        }
    } catch {
        check(error.code == .invalidArgument, "code \(error.code.name), not _INVALID_ARG: \(error)")
        check(!error.message.isEmpty, "an empty message: \(error)")
        check(error.file == "kafka.conf", "file \(String(describing: error.file)): \(error)")
        if let line = error.line, (1...lines.count).contains(line) {
            if let column = error.position {
                check((1...(lines[line - 1].count + 1)).contains(column), "column \(column) outside line \(line) (\(lines[line - 1].count) characters): \(error)")
            }
        } else {
            check(false, "line \(String(describing: error.line)) outside 1...\(lines.count): \(error)")
        }
    }
    Secrets.checkHidden(in: text, at: Secrets.inKafkaConf(text), shown: shown)
}
