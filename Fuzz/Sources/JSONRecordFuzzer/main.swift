// kafka produce --json's record reader (KafkaJSONRecordParser): any line either fails with a
// message and a column inside the line (or just past its end), or gives a record that, written
// again as JSON (every field of bytes in base64, the other way consume --json writes them), reads
// back the same.
import FuzzSupport
import _KafkaKitCLISupport

let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

func base64(_ bytes: ArraySlice<UInt8>) -> String {
    var out: [UInt8] = []
    var i = bytes.startIndex
    while i < bytes.endIndex {
        let n = min(3, bytes.endIndex - i)
        var v: UInt32 = 0
        for j in 0..<3 { v = v << 8 | (j < n ? UInt32(bytes[i + j]) : 0) }
        for j in 0..<4 { out.append(j <= n ? alphabet[Int(v >> (18 - 6 * UInt32(j)) & 63)] : 61) }
        i += n
    }
    return String(decoding: out, as: UTF8.self)
}

struct Record: Equatable {
    var key: [UInt8]?
    var value: [UInt8]?
    var headers: [[UInt8]?]
    var partition: Int32?
    var timestamp: Int64?

    init(_ p: KafkaJSONRecordParser) {
        key = p.key.map { Array(p.bytes[$0]) }
        value = p.value.map { Array(p.bytes[$0]) }
        headers = p.headers.flatMap { [Array(p.bytes[$0.name]), $0.value.map { Array(p.bytes[$0]) }] }
        partition = p.partition
        timestamp = p.timestamp
    }

    /// As JSON: key and values in base64, header names as text (ASCII controls, quote and
    /// backslash as \u00XX escapes, other bytes as they are: the reader passes them through).
    var json: [UInt8] {
        var out: [UInt8] = []
        func add(_ text: String) { out += Array(text.utf8) }
        add(key.map { "{\"key_base64\":\"\(base64($0[...]))\"" } ?? "{\"key\":null")
        add(value.map { ",\"value_base64\":\"\(base64($0[...]))\"" } ?? ",\"value\":null")
        add(",\"partition\":\(partition.map(String.init) ?? "null"),\"timestamp\":\(timestamp.map(String.init) ?? "null"),\"headers\":[")
        var i = 0
        let hex = Array("0123456789abcdef".utf8)
        while i + 1 < headers.count {
            add(i == 0 ? "{\"key\":\"" : ",{\"key\":\"")
            for byte in headers[i]! {
                if byte < 0x20 || byte == 34 || byte == 92 {
                    out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                } else {
                    out.append(byte)
                }
            }
            add(headers[i + 1].map { "\",\"value_base64\":\"\(base64($0[...]))\"}" } ?? "\",\"value\":null}")
            i += 2
        }
        add("]}")
        return out
    }
}

runFuzzer { data in
    var parser = KafkaJSONRecordParser()
    do throws(KafkaJSONRecordParser.Failure) {
        try parser.parse(data)
    } catch {
        check(!error.message.isEmpty, "an empty message")
        check((1...(data.count + 1)).contains(error.column), "column \(error.column) outside 1...\(data.count + 1): \(error)")
        return
    }
    let first = Record(parser)
    let again = first.json
    do {
        try again.withUnsafeBytes { try parser.parse($0) }
    } catch {
        check(false, "the record written again does not read: \(error) in \(String(decoding: again, as: UTF8.self))")
    }
    let second = Record(parser)
    check(second == first, "read back \(second), not \(first)")
}
