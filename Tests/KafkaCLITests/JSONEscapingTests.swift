import Foundation
import KafkaKitEvents
import Testing

@testable import KafkaCLI

/// The CLI's one JSON string escaper, reached both ways: through ``KafkaJSON``'s writer (every
/// JSON document) and through the record stream's ``OutputBuffer`` (`consume --json`), checked
/// against what `JSONSerialization` reads back.
@Suite("JSON string escaping: one escaper, the same bytes through KafkaJSON and the record stream")
struct JSONEscapingTests {
    /// `bytes` as KafkaJSON writes a string.
    static func viaKafkaJSON(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        KafkaJSON.appendString(utf8: bytes, to: &out)
        return out
    }

    /// `bytes` as the record stream writes a field, from a buffer of `capacity` bytes (small
    /// ones make it grow mid-string); `nil` when `strict` refuses it.
    static func viaRecordStream(_ bytes: [UInt8], strict: Bool = false, capacity: Int = 1 << 17) -> [UInt8]? {
        var buffer = OutputBuffer(capacity: capacity)
        defer { buffer.release() }
        buffer.append("[")
        let ok = bytes.withUnsafeBytes { buffer.appendJSONString($0, strict: strict) }
        let written = Array(UnsafeBufferPointer(start: buffer.base + 1, count: buffer.count - 1))
        // A refused append leaves nothing behind.
        if !ok { return buffer.count == 1 ? nil : written }
        return written
    }

    /// The string JSONSerialization reads from a JSON string.
    static func decoded(_ json: [UInt8]) throws -> String {
        let value = try JSONSerialization.jsonObject(with: Data(json), options: .fragmentsAllowed)
        return try #require(value as? String, "not a JSON string: \(String(decoding: json, as: UTF8.self))")
    }

    @Test("every byte value, alone and between plain runs that take the 8-byte path, escapes alike both ways and reads back")
    func everyByte() throws {
        let plain = Array("abcdefghijklmnop".utf8)
        for byte in 0...255 {
            let b = UInt8(byte)
            for input in [[b], plain + [b], [b] + plain, plain + [b] + plain, [UInt8](repeating: b, count: 19)] {
                let json = Self.viaKafkaJSON(input)
                #expect(Self.viaRecordStream(input) == json, "byte \(byte)")
                // Each byte that is not UTF-8 (every byte from 0x80 alone) reads back as U+FFFD.
                let expected = input.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\u{FFFD}" }.joined()
                #expect(try Self.decoded(json) == expected, "byte \(byte)")
                #expect((Self.viaRecordStream(input, strict: true) != nil) == (b < 0x80), "byte \(byte)")
            }
        }
    }

    @Test("control characters get JSON's short escapes where it has them, \\u00XX otherwise; \" and \\ are escaped, / and DEL are not")
    func escapes() {
        let json = Self.viaKafkaJSON([0x22, 0x5C, 0x2F, 0x0A, 0x0D, 0x09, 0x08, 0x0C, 0x00, 0x1F, 0x7F])
        #expect(String(decoding: json, as: UTF8.self) == #""\"\\/\n\r\t\b\f\u0000\u001f\#u{7F}""#)
        #expect(Self.viaRecordStream([0x22, 0x5C, 0x2F, 0x0A, 0x0D, 0x09, 0x08, 0x0C, 0x00, 0x1F, 0x7F]) == json)
        #expect(KafkaJSON.string("a\u{8}b\u{C}c\u{1}").jsonText == #""a\bb\fc\u0001""#)
    }

    @Test("every pair of bytes: both ways give the same JSON, which reads back; valid UTF-8 reads back unchanged, strict refuses the rest")
    func everyPair() throws {
        for first in 0...255 {
            for second in 0...255 {
                let input = [UInt8(first), UInt8(second)]
                let json = Self.viaKafkaJSON(input)
                #expect(Self.viaRecordStream(input) == json)
                let text = try Self.decoded(json)
                if let valid = String(validating: input, as: UTF8.self) {
                    #expect(text == valid)
                    #expect(Self.viaRecordStream(input, strict: true) == json)
                } else {
                    #expect(text.unicodeScalars.contains("\u{FFFD}"))
                    #expect(Self.viaRecordStream(input, strict: true) == nil)
                }
            }
        }
    }

    @Test("invalid UTF-8: each byte that is not part of a valid sequence becomes one U+FFFD; valid sequences around it are kept")
    func invalidUTF8() throws {
        let r = "\u{FFFD}"
        let cases: [([UInt8], String)] = [
            ([0xC0, 0x80], r + r),  // overlong NUL
            ([0xE0, 0x80, 0x80], r + r + r),  // overlong
            ([0xED, 0xA0, 0x80], r + r + r),  // a surrogate
            ([0xF4, 0x90, 0x80, 0x80], r + r + r + r),  // above U+10FFFF
            ([0xF0, 0x9F, 0x98], r + r + r),  // cut short
            ([0x80, 0x41], r + "A"),  // a lone continuation byte
            ([0xFF, 0xFE], r + r),
            ([0xF0, 0x9F, 0x98, 0x80, 0xC3], "😀" + r),  // valid, then cut short at the end
            ([0xC3, 0xA9, 0xE2, 0x9C, 0x93, 0xF5, 0x22], "é✓" + r + "\""),
        ]
        for (input, expected) in cases {
            let json = Self.viaKafkaJSON(input)
            #expect(Self.viaRecordStream(input) == json, "\(input)")
            #expect(try Self.decoded(json) == expected, "\(input)")
            #expect(Self.viaRecordStream(input, strict: true) == nil, "\(input)")
        }
    }

    @Test("long strings of escapes, written from a small buffer that grows mid-string, come out whole")
    func growing() throws {
        var input: [UInt8] = []
        for i in 0..<20_000 { input += [UInt8(i % 32), 0x22, 0xE2, 0x9C, 0x93, 0xFF, UInt8(0x41 + i % 26)] }
        let json = Self.viaKafkaJSON(input)
        for capacity in [1, 7, 64, 4096] {
            #expect(Self.viaRecordStream(input, capacity: capacity) == json, "capacity \(capacity)")
        }
        let text = try Self.decoded(json)
        #expect(text.unicodeScalars.count == 20_000 * 5)
        #expect(text.hasPrefix("\0\"✓\u{FFFD}A\u{1}\"✓\u{FFFD}B"))
        #expect(Self.viaRecordStream(input, strict: true, capacity: 7) == nil)
        #expect(Self.viaKafkaJSON([]) == Array(#""""#.utf8) && Self.viaRecordStream([]) == Array(#""""#.utf8))
    }
}
