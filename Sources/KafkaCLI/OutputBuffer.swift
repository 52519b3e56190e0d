import Foundation
import KafkaKit
import KafkaKitEvents

/// Records formatted for standard output, written in large pieces.
struct OutputBuffer {
    var bytes: [UInt8] = []
    var isLarge: Bool { bytes.count >= 1 << 16 }

    /// Writes out everything formatted; the `errno` of a failed write (the bytes are dropped).
    mutating func flush() -> Int32? {
        guard !bytes.isEmpty else { return nil }
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes.withUnsafeBytes { raw -> Int32? in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n < 0 ? errno : EIO }
                offset += n
            }
            return nil
        }
    }

    mutating func appendValue(_ message: KafkaConsumerMessage) {
        message.withUnsafeValue { if let value = $0 { bytes += value } }
        bytes.append(10)
    }

    mutating func appendJSON(_ m: KafkaConsumerMessage) {
        bytes += Array("{\"topic\":".utf8)
        appendString(Array(m.topic.utf8))
        bytes += Array(",\"partition\":\(m.partition),\"offset\":\(m.offset),\"timestamp\":\(m.timestampMilliseconds.map(String.init) ?? "null")".utf8)
        appendBytes(name: "key", m.key)
        appendBytes(name: "value", m.value)
        bytes += Array(",\"headers\":[".utf8)
        for (i, header) in m.headers.enumerated() {
            if i > 0 { bytes.append(44) }
            bytes += Array("{\"key\":".utf8)
            appendString(Array(header.key.utf8))
            appendBytes(name: "value", header.value)
            bytes.append(125)
        }
        bytes += Array("]}\n".utf8)
    }

    /// `,"name":"text"`, `,"name":null`, or `,"name_base64":"..."` for bytes that are not UTF-8.
    mutating func appendBytes(name: String, _ value: [UInt8]?) {
        guard let value else {
            bytes += Array(",\"\(name)\":null".utf8)
            return
        }
        if String(validating: value, as: UTF8.self) != nil {
            bytes += Array(",\"\(name)\":".utf8)
            appendString(value)
        } else {
            bytes += Array(",\"\(name)_base64\":\"\(Data(value).base64EncodedString())\"".utf8)
        }
    }

    /// A JSON string of valid UTF-8 bytes, by the command's one JSON writer (``KafkaJSON``).
    mutating func appendString(_ utf8: [UInt8]) {
        KafkaJSON.appendString(utf8: utf8, to: &bytes)
    }
}
