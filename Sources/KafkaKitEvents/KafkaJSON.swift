public import KafkaKit

/// A JSON value whose objects keep their members in the order written, so that an event's
/// payload comes out byte for byte as its producer meant it (JSON-RPC puts `jsonrpc`,
/// `method` and `params` in that order; so does KafkaKit).
///
/// Literals build values directly:
///
/// ```swift
/// let params: KafkaJSON = ["ip": "192.168.2.11", "attempts": 3, "banned": true]
/// ```
public enum KafkaJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// Non-finite numbers have no JSON form; they are written as `null`.
    case double(Double)
    case string(String)
    case array([KafkaJSON])
    case object([Member])

    /// An object member.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: KafkaJSON

        public init(_ key: String, _ value: KafkaJSON) {
            self.key = key
            self.value = value
        }
    }

    /// The value of an object's member (the last one, if a key repeats); `nil` for other values.
    public subscript(key: String) -> KafkaJSON? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// An object with `value` set under `key`: in place of the first member of that key (any
    /// later duplicates removed), or appended. Other values become an object.
    public mutating func set(_ key: String, _ value: KafkaJSON) {
        var members: [Member] = []
        if case .object(let existing) = self { members = existing }
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].value = value
            members = members.enumerated().filter { $0.offset == index || $0.element.key != key }.map(\.element)
        } else {
            members.append(Member(key, value))
        }
        self = .object(members)
    }

    // MARK: Writing

    /// The value as compact JSON: no spaces, members in order, non-ASCII text as UTF-8.
    public var jsonText: String { jsonText(pretty: false) }

    /// The value as JSON; `pretty` writes one member per line, indented by two spaces, with
    /// `": "` after keys (the layout of event_kafka's documented E_PIKE_BLOCKED example).
    public func jsonText(pretty: Bool) -> String {
        var bytes: [UInt8] = []
        write(into: &bytes, pretty: pretty, depth: 0)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the compact JSON bytes of the value.
    public func write(into bytes: inout [UInt8]) {
        write(into: &bytes, pretty: false, depth: 0)
    }

    private func write(into out: inout [UInt8], pretty: Bool, depth: Int) {
        func newline(_ depth: Int) {
            guard pretty else { return }
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
        }
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .double(let value):
            if !value.isFinite {
                out.append(contentsOf: "null".utf8)
            } else if value == value.rounded(), abs(value) < 1e15 {
                // 3.0 is written "3.0" by Swift; JSON readers expect "3" for whole numbers too.
                out.append(contentsOf: String(Int64(value)).utf8)
            } else {
                out.append(contentsOf: "\(value)".utf8)
            }
        case .string(let value): Self.writeString(value, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            if !elements.isEmpty {
                for (index, element) in elements.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    newline(depth + 1)
                    element.write(into: &out, pretty: pretty, depth: depth + 1)
                }
                newline(depth)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            if !members.isEmpty {
                for (index, member) in members.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    newline(depth + 1)
                    Self.writeString(member.key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    if pretty { out.append(UInt8(ascii: " ")) }
                    member.value.write(into: &out, pretty: pretty, depth: depth + 1)
                }
                newline(depth)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(utf8: UnsafeRawBufferPointer($0), to: &out) }
    }
}

extension KafkaJSON: CustomStringConvertible {
    public var description: String { jsonText }
}

extension KafkaJSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: KafkaJSON...) { self = .array(elements) }
    /// Members keep the literal's order.
    public init(dictionaryLiteral elements: (String, KafkaJSON)...) {
        self = .object(elements.map { Member($0.0, $0.1) })
    }
}

// MARK: Reading

extension KafkaJSON {
    /// Parses JSON text (objects keep their member order).
    ///
    /// - Throws: `KafkaError` saying what was expected, with the 1-based
    ///   `KafkaError/position` (in characters) where the text went wrong.
    public init(parsing text: String) throws(KafkaError) {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipSpace()
        self = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.fail("unexpected text after the JSON value") }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        func fail(_ message: String, at offset: Int? = nil) -> KafkaError {
            let offset = min(offset ?? index, bytes.count)
            // Characters, not bytes, so the position matches what the user sees.
            let position = String(decoding: bytes[..<offset], as: UTF8.self).count + 1
            let found = offset < bytes.count ? "'\(String(decoding: bytes[offset...].prefix(12), as: UTF8.self))'" : "the end"
            return KafkaError(code: .invalidArgument, message: "invalid JSON: \(message) (found \(found))", position: position)
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String, _ value: KafkaJSON) throws(KafkaError) -> KafkaJSON {
            let expected = Array(literal.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
                throw fail("expected a value")
            }
            index += expected.count
            return value
        }

        mutating func value(depth: Int) throws(KafkaError) -> KafkaJSON {
            guard depth < 256 else { throw fail("nested more than 256 levels deep") }
            guard index < bytes.count else { throw fail("expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [Member] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object([]) }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name in quotes") }
                    let key = try string()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after the member name") }
                    index += 1
                    skipSpace()
                    members.append(Member(key, try value(depth: depth + 1)))
                    skipSpace()
                    guard index < bytes.count else { throw fail("expected ',' or '}'") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                index += 1
                var elements: [KafkaJSON] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array([]) }
                while true {
                    skipSpace()
                    elements.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw fail("expected ',' or ']'") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("expected a value")
            }
        }

        mutating func number() throws(KafkaError) -> KafkaJSON {
            let start = index
            func digits() -> Int {
                let from = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - from
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let intStart = index
            guard digits() > 0 else { throw fail("expected digits", at: intStart) }
            if bytes[intStart] == UInt8(ascii: "0"), index - intStart > 1 { throw fail("numbers do not start with 0", at: intStart) }
            var isInteger = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard digits() > 0 else { throw fail("expected digits after '.'") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw fail("expected digits in the exponent") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let value = Int64(text) { return .int(value) }
            guard let value = Double(text), value.isFinite else { throw fail("number out of range", at: start) }
            return .double(value)
        }

        mutating func string() throws(KafkaError) -> String {
            index += 1  // the opening quote
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index + 1 < bytes.count else { throw fail("unterminated string") }
                    let escape = bytes[index + 1]
                    index += 2
                    switch escape {
                    case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                    case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                    case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw fail("a high surrogate must be followed by \\u and a low surrogate")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate", at: index - 6) }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape", at: index - 6) }
                        out.append(contentsOf: String(Character(unicode)).utf8)
                    default:
                        throw fail("invalid escape '\\\(Character(Unicode.Scalar(escape)))'", at: index - 2)
                    }
                case 0..<0x20:
                    throw fail("control characters in strings must be escaped")
                default:
                    out.append(byte)
                    index += 1
                }
            }
        }

        mutating func hex4() throws(KafkaError) -> UInt32 {
            guard bytes.count - index >= 4 else { throw fail("expected four hex digits after \\u") }
            var value: UInt32 = 0
            for offset in 0..<4 {
                guard let digit = Character(Unicode.Scalar(bytes[index + offset])).hexDigitValue else {
                    throw fail("expected four hex digits after \\u", at: index + offset)
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }
    }
}
