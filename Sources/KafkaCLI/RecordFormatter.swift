import KafkaKit
import _KafkaKitCLISupport

/// How `kafka consume` writes a record: its value and a newline, a `--format` string,
/// `--json`, or kcat's `-J` envelope. Everything that is the same for every record (the
/// topic's JSON text, the format's pieces) is made once; a record is written straight into
/// the output buffer.
struct RecordFormatter {
    enum Mode {
        /// The value and a newline (the null text for a null value).
        case values
        /// kcat's `-f` tokens.
        case format(KafkaOutputFormat)
        /// `{"topic","partition","offset","timestamp","key","value","headers"}`; bytes that
        /// are not UTF-8 as `key_base64` / `value_base64`.
        case json
        /// kcat's `-J`: `{"topic","partition","offset","tstype","ts","broker","headers","key","payload"}`.
        case kcatJSON
    }

    let mode: Mode
    let topic: [UInt8]
    /// `{"topic":"…","partition":`
    private let jsonPrefix: [UInt8]
    /// What `%k`, `%s` and the plain value print for a null key or value.
    let null: [UInt8]
    /// The format's pieces, flattened once: iterating them per record takes no retain.
    private let steps: FormatSteps

    init(mode: Mode, topic: String, null: [UInt8]) {
        self.mode = mode
        self.topic = Array(topic.utf8)
        self.null = null
        var prefix = OutputBuffer(capacity: 64)
        prefix.append("{\"topic\":")
        _ = Array(topic.utf8).withUnsafeBytes { prefix.appendJSONString($0, strict: false) }
        prefix.append(",\"partition\":")
        jsonPrefix = Array(UnsafeBufferPointer(start: prefix.base, count: prefix.count))
        prefix.release()
        if case .format(let format) = mode { steps = FormatSteps(format.pieces) } else { steps = FormatSteps([]) }
    }

    @inline(__always)
    func append(_ message: KafkaConsumerMessage, to out: inout OutputBuffer) {
        switch mode {
        case .values:
            message.withRawRecord { record in
                if let value = record.value { out.append(value) } else { out.append(null) }
            }
            out.append(10)
        case .format: appendFormatted(message, to: &out)
        case .json: appendJSON(message, to: &out)
        case .kcatJSON: appendKcatJSON(message, to: &out)
        }
    }

    private func appendFormatted(_ message: KafkaConsumerMessage, to out: inout OutputBuffer) {
        let steps = self.steps.steps, text = self.steps.text
        message.withRawRecord { record in
            for step in steps {
                switch step.kind {
                case .text: out.append(text + Int(step.start), count: Int(step.count))
                case .topic: out.append(topic)
                case .partition: out.appendDecimal(Int64(record.partition))
                case .offset: out.appendDecimal(record.offset)
                case .key: if let key = record.key { out.append(key) } else { out.append(null) }
                case .keyLength: out.appendDecimal(record.key.map { Int64($0.count) } ?? -1)
                case .value: if let value = record.value { out.append(value) } else { out.append(null) }
                case .valueLength: out.appendDecimal(record.value.map { Int64($0.count) } ?? -1)
                case .valueLengthBinary:
                    let length = Int32(truncatingIfNeeded: record.value.map(\.count) ?? -1)
                    withUnsafeBytes(of: length.bigEndian) { out.append($0) }
                case .timestamp: out.appendDecimal(message.rawTimestamp.milliseconds)
                case .headers:
                    var first = true
                    message.forEachRawHeader { name, value in
                        if !first { out.append(44) }
                        first = false
                        out.append(name)
                        out.append(61)
                        if let value { out.append(value) } else { out.append("NULL") }
                    }
                }
            }
        }
    }

    private func appendJSON(_ message: KafkaConsumerMessage, to out: inout OutputBuffer) {
        out.append(jsonPrefix)
        message.withRawRecord { record in
            out.appendDecimal(Int64(record.partition))
            out.append(",\"offset\":")
            out.appendDecimal(record.offset)
            out.append(",\"timestamp\":")
            let ts = message.rawTimestamp
            if ts.type == nil { out.append("null") } else { out.appendDecimal(ts.milliseconds) }
            Self.appendBytes(name: .key, record.key, to: &out)
            Self.appendBytes(name: .value, record.value, to: &out)
        }
        out.append(",\"headers\":[")
        var first = true
        message.forEachRawHeader { name, value in
            out.append(first ? "{\"key\":" : ",{\"key\":")
            first = false
            _ = out.appendJSONString(name, strict: false)
            Self.appendBytes(name: .value, value, to: &out)
            out.append(125)
        }
        out.append("]}\n")
    }

    private enum Member { case key, value }

    /// `,"key":"text"`, `,"key":null` or `,"key_base64":"…"` (bytes that are not UTF-8).
    @inline(__always)
    private static func appendBytes(name: Member, _ bytes: UnsafeRawBufferPointer?, to out: inout OutputBuffer) {
        guard let bytes else {
            out.append(name == .key ? ",\"key\":null" : ",\"value\":null")
            return
        }
        let mark = out.count
        out.append(name == .key ? ",\"key\":" : ",\"value\":")
        if out.appendJSONString(bytes, strict: true) { return }
        out.truncate(to: mark)
        out.append(name == .key ? ",\"key_base64\":\"" : ",\"value_base64\":\"")
        out.appendBase64(bytes)
        out.append(34)
    }

    private func appendKcatJSON(_ message: KafkaConsumerMessage, to out: inout OutputBuffer) {
        out.append(jsonPrefix)
        message.withRawRecord { record in
            out.appendDecimal(Int64(record.partition))
            out.append(",\"offset\":")
            out.appendDecimal(record.offset)
            let ts = message.rawTimestamp
            if let type = ts.type {
                out.append(type == .createTime ? ",\"tstype\":\"create\",\"ts\":" : ",\"tstype\":\"logappend\",\"ts\":")
                out.appendDecimal(ts.milliseconds)
            }
            out.append(",\"broker\":")
            out.appendDecimal(Int64(message.brokerID))
            // As kcat: a flat array of names and values, only when the record has headers.
            var first = true
            message.forEachRawHeader { name, value in
                out.append(first ? ",\"headers\":[" : ",")
                first = false
                _ = out.appendJSONString(name, strict: false)
                out.append(44)
                if let value { _ = out.appendJSONString(value, strict: false) } else { out.append("null") }
            }
            if !first { out.append(93) }
            out.append(",\"key\":")
            if let key = record.key { _ = out.appendJSONString(key, strict: false) } else { out.append("null") }
            out.append(",\"payload\":")
            if let value = record.value { _ = out.appendJSONString(value, strict: false) } else { out.append("null") }
        }
        out.append("}\n")
    }
}

/// A format's pieces as plain values over memory of their own (kept for the life of the
/// command): a step's kind, and for text where its bytes are.
final class FormatSteps: Sendable {
    enum Kind: UInt8 { case text, topic, partition, offset, key, keyLength, value, valueLength, valueLengthBinary, timestamp, headers }

    struct Step {
        var kind: Kind
        var start: Int32
        var count: Int32
    }

    nonisolated(unsafe) let steps: UnsafeMutableBufferPointer<Step>
    nonisolated(unsafe) let text: UnsafeMutablePointer<UInt8>

    init(_ pieces: [KafkaOutputFormat.Piece]) {
        var all: [UInt8] = []
        var list: [Step] = []
        for piece in pieces {
            switch piece {
            case .text(let bytes):
                list.append(Step(kind: .text, start: Int32(all.count), count: Int32(bytes.count)))
                all += bytes
            case .topic: list.append(Step(kind: .topic, start: 0, count: 0))
            case .partition: list.append(Step(kind: .partition, start: 0, count: 0))
            case .offset: list.append(Step(kind: .offset, start: 0, count: 0))
            case .key: list.append(Step(kind: .key, start: 0, count: 0))
            case .keyLength: list.append(Step(kind: .keyLength, start: 0, count: 0))
            case .value: list.append(Step(kind: .value, start: 0, count: 0))
            case .valueLength: list.append(Step(kind: .valueLength, start: 0, count: 0))
            case .valueLengthBinary: list.append(Step(kind: .valueLengthBinary, start: 0, count: 0))
            case .timestamp: list.append(Step(kind: .timestamp, start: 0, count: 0))
            case .headers: list.append(Step(kind: .headers, start: 0, count: 0))
            }
        }
        steps = .allocate(capacity: list.count)
        _ = steps.initialize(from: list)
        text = .allocate(capacity: max(all.count, 1))
        text.initialize(from: all, count: all.count)
    }

    deinit {
        steps.deallocate()
        text.deallocate()
    }
}
