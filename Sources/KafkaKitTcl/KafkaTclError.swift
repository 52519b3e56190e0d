import KafkaKit

extension TclError {
    /// A KafkaKit error as Tcl sees it: librdkafka's text, and `errorCode` `{KAFKA CODE_NAME}`
    /// with librdkafka's full code name (`RD_KAFKA_RESP_ERR__QUEUE_FULL`).
    /// `kafka error: MESSAGE`, as KafkaTcl words it; `errorCode` is `{KAFKA CODE_NAME}` with
    /// the code's full librdkafka name.
    init(_ error: KafkaError) {
        var text = "kafka error: " + error.message
        if let file = error.file, !error.message.contains(file) {
            text += " (\(file)" + (error.line.map { ":\($0)" } ?? "") + (error.position.map { ":\($0)" } ?? "") + ")"
        } else if error.file == nil {
            // Where in the text given (a socket, JSON) it went wrong, and the property librdkafka
            // rejected when its message names only an alias (acks: request.required.acks).
            var notes: [String] = []
            if let position = error.position { notes.append("at position \(position)") }
            if let property = error.property, !error.message.contains("\"\(property)\""), !error.message.hasPrefix(property) {
                notes.append("property \(property)")
            }
            if !notes.isEmpty { text += " (" + notes.joined(separator: ", ") + ")" }
        }
        self.init(text, errorCode: ["KAFKA", error.code.fullName])
    }

    /// Any error thrown by KafkaKit or the Tcl layer.
    init(any error: any Error) {
        switch error {
        case let error as TclError: self = error
        case let error as KafkaError: self.init(error)
        case is CancellationError: self.init("cancelled", errorCode: ["KAFKA", "RD_KAFKA_RESP_ERR__INTR"])
        default: self.init("\(error)")
        }
    }
}

extension KafkaError.Code {
    /// librdkafka's enum name of the code, as Tcl scripts match it: `RD_KAFKA_RESP_ERR_` and
    /// `name` (`REQUEST_TIMED_OUT`, `_QUEUE_FULL`).
    var fullName: String { "RD_KAFKA_RESP_ERR_" + name }
}

/// Runs a KafkaKit call, turning what it throws into a Tcl error.
func kafka<T>(_ body: () throws -> T) throws(TclError) -> T {
    do { return try body() } catch { throw TclError(any: error) }
}
