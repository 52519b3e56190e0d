#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the records of `kafka produce --json`: one JSON object per line, in the shape
/// `kafka consume --json` writes, so that its output produces the same records again.
///
/// ```
/// {"topic":"t","partition":0,"offset":7,"timestamp":1700000000000,
///  "key":"k","value":"v","headers":[{"key":"h","value":"x"}]}
/// ```
///
/// - `key`, `value`: a string (its UTF-8 bytes) or `null`; `key_base64`, `value_base64`: the
///   bytes in base64 (for bytes that are not UTF-8). Absent means null.
/// - `headers`: an array of `{"key": name, "value": string|null}` or `{"key": name,
///   "value_base64": ...}`; kcat's `-J` form, a flat array `["name", "value", ...]`, is
///   read too.
/// - `partition`, `timestamp` (milliseconds since the epoch): integers or `null`.
/// - kcat's `-J` names `payload` (for `value`) and `ts` (for `timestamp`) are read too;
///   `topic`, `offset`, `tstype`, `broker` and any other member are ignored.
///
/// The parser keeps its buffers from record to record: parsing a record allocates nothing
/// once the buffers have grown to the largest record's size.
public struct KafkaJSONRecordParser: Sendable {
    /// What is wrong with a line, and where (1-based byte column).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var column: Int
        public var description: String { "column \(column): \(message)" }
    }

    /// The decoded bytes of the last record: ``key``, ``value`` and ``headers`` are ranges of it.
    public private(set) var bytes: [UInt8] = []
    public private(set) var key: Range<Int>?
    public private(set) var value: Range<Int>?
    public private(set) var headers: [(name: Range<Int>, value: Range<Int>?)] = []
    public private(set) var partition: Int32?
    public private(set) var timestamp: Int64?

    public init() {}

    /// Whether `line` holds nothing but whitespace (skipped, as JSON Lines readers do).
    public static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        line.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 || $0 == 10 }
    }

    /// Parses one line; afterwards the properties describe its record.
    public mutating func parse(_ line: UnsafeRawBufferPointer) throws(Failure) {
        bytes.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
        key = nil
        value = nil
        partition = nil
        timestamp = nil
        var reader = Reader(base: line.baseAddress?.assumingMemoryBound(to: UInt8.self), count: line.count)
        var seen: UInt16 = 0
        reader.skipSpace()
        try reader.expect(UInt8(ascii: "{"), "a record is a JSON object: expected '{'")
        reader.skipSpace()
        if reader.peek() == UInt8(ascii: "}") {
            reader.index += 1
        } else {
            while true {
                reader.skipSpace()
                let nameStart = reader.index
                let name = try reader.memberName()
                reader.skipSpace()
                try reader.expect(UInt8(ascii: ":"), "expected ':' after a member name")
                reader.skipSpace()
                let field = Field(name, in: reader)
                if let field {
                    let bit = field.bit
                    if seen & bit != 0 || seen & field.conflicts != 0 {
                        throw Failure(message: "'\(reader.text(name))' given twice (or with its alternative: key/key_base64, value/value_base64/payload, timestamp/ts)", column: nameStart + 1)
                    }
                    seen |= bit
                }
                switch field {
                case .key: key = try reader.stringOrNull(into: &bytes, what: "key")
                case .keyBase64: key = try reader.base64(into: &bytes, what: "key_base64")
                case .value, .payload: value = try reader.stringOrNull(into: &bytes, what: reader.text(name))
                case .valueBase64: value = try reader.base64(into: &bytes, what: "value_base64")
                case .partition:
                    let start = reader.index
                    if let n = try reader.integerOrNull(what: "partition") {
                        guard n >= 0, n <= Int64(Int32.max) else { throw Failure(message: "partition \(n) is out of range (0 to \(Int32.max))", column: start + 1) }
                        partition = Int32(n)
                    }
                case .timestamp, .ts:
                    let start = reader.index
                    if let n = try reader.integerOrNull(what: reader.text(name)) {
                        guard n >= 0 else { throw Failure(message: "\(reader.text(name)) \(n) is negative", column: start + 1) }
                        timestamp = n
                    }
                case .headers: try readHeaders(&reader)
                case nil: try reader.skipValue(depth: 0)
                }
                reader.skipSpace()
                guard let c = reader.peek() else { throw Failure(message: "the object is not closed: expected ',' or '}'", column: reader.index + 1) }
                reader.index += 1
                if c == UInt8(ascii: "}") { break }
                guard c == UInt8(ascii: ",") else { throw Failure(message: "expected ',' or '}' after a member", column: reader.index) }
            }
        }
        reader.skipSpace()
        if reader.index < reader.count {
            throw Failure(message: "text after the record's object (one object per line)", column: reader.index + 1)
        }
    }

    private mutating func readHeaders(_ reader: inout Reader) throws(Failure) {
        try reader.expect(UInt8(ascii: "["), "headers is an array: expected '['")
        reader.skipSpace()
        if reader.peek() == UInt8(ascii: "]") {
            reader.index += 1
            return
        }
        var pendingName: Range<Int>?
        while true {
            reader.skipSpace()
            let start = reader.index
            if reader.peek() == UInt8(ascii: "{") {
                guard pendingName == nil else { throw Failure(message: "a flat header array takes name, value pairs of strings", column: start + 1) }
                try readHeaderObject(&reader)
            } else if reader.peek() == UInt8(ascii: "\"") {
                // kcat -J: "headers":["name","value",...]
                if let name = pendingName {
                    headers.append((name, try reader.stringOrNull(into: &bytes, what: "header value")))
                    pendingName = nil
                } else {
                    pendingName = try reader.stringOrNull(into: &bytes, what: "header name")
                }
            } else if let name = pendingName, reader.peekLiteral("null") {
                reader.index += 4
                headers.append((name, nil))
                pendingName = nil
            } else {
                throw Failure(message: "a header is an object {\"key\":..,\"value\":..}", column: start + 1)
            }
            reader.skipSpace()
            guard let c = reader.peek() else { throw Failure(message: "the headers array is not closed", column: reader.index + 1) }
            reader.index += 1
            if c == UInt8(ascii: "]") { break }
            guard c == UInt8(ascii: ",") else { throw Failure(message: "expected ',' or ']' in headers", column: reader.index) }
        }
        if pendingName != nil { throw Failure(message: "a flat header array ends with a name without its value", column: reader.index) }
    }

    private mutating func readHeaderObject(_ reader: inout Reader) throws(Failure) {
        let objectStart = reader.index
        reader.index += 1
        var name: Range<Int>?
        var headerValue: Range<Int>?
        var valueSeen = false
        reader.skipSpace()
        if reader.peek() != UInt8(ascii: "}") {
            while true {
                reader.skipSpace()
                let memberStart = reader.index
                let member = try reader.memberName()
                reader.skipSpace()
                try reader.expect(UInt8(ascii: ":"), "expected ':' after a member name")
                reader.skipSpace()
                switch reader.text(member, ifShort: true) {
                case "key", "name":
                    guard name == nil else { throw Failure(message: "a header's key given twice", column: memberStart + 1) }
                    guard reader.peek() == UInt8(ascii: "\"") else { throw Failure(message: "a header's key is a string", column: reader.index + 1) }
                    name = try reader.stringOrNull(into: &bytes, what: "header key")
                case "value", "value_base64":
                    guard !valueSeen else { throw Failure(message: "a header's value given twice (value or value_base64)", column: memberStart + 1) }
                    valueSeen = true
                    headerValue = reader.is(member, "value")
                        ? try reader.stringOrNull(into: &bytes, what: "header value")
                        : try reader.base64(into: &bytes, what: "header value_base64")
                default:
                    try reader.skipValue(depth: 0)
                }
                reader.skipSpace()
                guard let c = reader.peek() else { throw Failure(message: "a header object is not closed", column: reader.index + 1) }
                reader.index += 1
                if c == UInt8(ascii: "}") { break }
                guard c == UInt8(ascii: ",") else { throw Failure(message: "expected ',' or '}' in a header", column: reader.index) }
            }
        } else {
            reader.index += 1
        }
        guard let name else { throw Failure(message: "a header without a \"key\"", column: objectStart + 1) }
        headers.append((name, headerValue))
    }

    private enum Field {
        case key, keyBase64, value, valueBase64, payload, partition, timestamp, ts, headers

        init?(_ name: Reader.Name, in reader: Reader) {
            // Member names are short and plain: compared in place, no String made.
            switch reader.text(name, ifShort: true) {
            case "key": self = .key
            case "key_base64": self = .keyBase64
            case "value": self = .value
            case "value_base64": self = .valueBase64
            case "payload": self = .payload
            case "partition": self = .partition
            case "timestamp": self = .timestamp
            case "ts": self = .ts
            case "headers": self = .headers
            default: return nil
            }
        }

        var bit: UInt16 {
            switch self {
            case .key: 1
            case .keyBase64: 2
            case .value: 4
            case .valueBase64: 8
            case .payload: 16
            case .partition: 32
            case .timestamp: 64
            case .ts: 128
            case .headers: 256
            }
        }

        /// The fields that say the same thing another way.
        var conflicts: UInt16 {
            switch self {
            case .key, .keyBase64: 1 | 2
            case .value, .valueBase64, .payload: 4 | 8 | 16
            case .timestamp, .ts: 64 | 128
            case .partition: 32
            case .headers: 256
            }
        }
    }
}

/// A cursor over one line.
private struct Reader {
    let base: UnsafePointer<UInt8>?
    let count: Int
    var index = 0

    typealias Failure = KafkaJSONRecordParser.Failure

    @inline(__always) func peek() -> UInt8? { index < count ? base![index] : nil }

    func peekLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard index + n <= count else { return false }
        return memcmp(base! + index, literal.utf8Start, n) == 0
    }

    mutating func skipSpace() {
        while index < count {
            let c = base![index]
            guard c == 32 || c == 9 || c == 13 || c == 10 else { return }
            index += 1
        }
    }

    mutating func expect(_ byte: UInt8, _ message: String) throws(Failure) {
        guard peek() == byte else { throw Failure(message: message + (peek() == nil ? " (the line ended)" : ""), column: index + 1) }
        index += 1
    }

    /// Where a member name is in the line (between its quotes), and whether it has escapes.
    struct Name {
        var start: Int
        var end: Int
        var escaped: Bool
    }

    /// A member name, left in place.
    mutating func memberName() throws(Failure) -> Name {
        guard peek() == UInt8(ascii: "\"") else { throw Failure(message: "expected a member name in double quotes", column: index + 1) }
        let start = index + 1
        var escaped = false
        index += 1
        while true {
            guard index < count else { throw Failure(message: "a string is not closed", column: start) }
            let c = base![index]
            if c == 34 { break }
            if c == 92 {
                escaped = true
                index += 1
            } else if c < 32 {
                throw Failure(message: "a control character in a string (write it as \\u00XX)", column: index + 1)
            }
            index += 1
        }
        guard index < count else { throw Failure(message: "a string is not closed", column: start) }
        index += 1
        return Name(start: start, end: index - 1, escaped: escaped)
    }

    /// Whether `name` is `literal` (a plain name: one with escapes never matches a known one).
    func `is`(_ name: Name, _ literal: StaticString) -> Bool {
        !name.escaped && name.end - name.start == literal.utf8CodeUnitCount
            && memcmp(base! + name.start, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    /// The name as text, for messages; with `ifShort`, "" for any name longer than a known one
    /// or with escapes (which then matches none).
    func text(_ name: Name, ifShort: Bool = false) -> String {
        if ifShort, name.escaped || name.end - name.start > 12 { return "" }
        return String(decoding: UnsafeBufferPointer(start: base! + name.start, count: name.end - name.start), as: UTF8.self)
    }

    /// A string's decoded bytes appended to `out`, or `nil` for `null`.
    mutating func stringOrNull(into out: inout [UInt8], what: String) throws(Failure) -> Range<Int>? {
        if peekLiteral("null") {
            index += 4
            return nil
        }
        guard peek() == UInt8(ascii: "\"") else { throw Failure(message: "\(what) is a string or null", column: index + 1) }
        return try string(into: &out)
    }

    /// The string at `index` (a `"`), unescaped, appended to `out`.
    mutating func string(into out: inout [UInt8]) throws(Failure) -> Range<Int> {
        let start = out.count
        index += 1
        while true {
            // A run of plain bytes is copied at once.
            let runStart = index
            while index < count {
                let c = base![index]
                if c == 34 || c == 92 || c < 32 { break }
                index += 1
            }
            if index > runStart { out.append(contentsOf: UnsafeBufferPointer(start: base! + runStart, count: index - runStart)) }
            guard index < count else { throw Failure(message: "a string is not closed", column: runStart) }
            let c = base![index]
            if c == 34 {
                index += 1
                return start..<out.count
            }
            if c < 32 { throw Failure(message: "a control character in a string (write it as \\u00XX)", column: index + 1) }
            // A backslash.
            guard index + 1 < count else { throw Failure(message: "a string is not closed", column: index + 1) }
            let e = base![index + 1]
            switch e {
            case UInt8(ascii: "\""): out.append(34)
            case UInt8(ascii: "\\"): out.append(92)
            case UInt8(ascii: "/"): out.append(47)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                let escapeStart = index
                var scalar = try hex4(at: index + 2)
                index += 6
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate: its low half must follow.
                    guard index + 1 < count, base![index] == 92, base![index + 1] == UInt8(ascii: "u") else {
                        throw Failure(message: "a \\u escape of a lone surrogate", column: escapeStart + 1)
                    }
                    let low = try hex4(at: index + 2)
                    guard low >= 0xDC00 && low < 0xE000 else { throw Failure(message: "a \\u escape of a lone surrogate", column: escapeStart + 1) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw Failure(message: "a \\u escape of a lone surrogate", column: escapeStart + 1)
                }
                appendUTF8(scalar, to: &out)
                continue
            default:
                throw Failure(message: "unknown escape '\\\(Unicode.Scalar(e))' in a string", column: index + 1)
            }
            index += 2
        }
    }

    func hex4(at position: Int) throws(Failure) -> UInt32 {
        guard position + 4 <= count else { throw Failure(message: "\\u needs four hexadecimal digits", column: position - 1) }
        var v: UInt32 = 0
        for i in 0..<4 {
            let c = base![position + i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw Failure(message: "\\u needs four hexadecimal digits", column: position - 1)
            }
            v = v << 4 | d
        }
        return v
    }

    func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80: out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// A base64 string's decoded bytes appended to `out` (padding optional).
    mutating func base64(into out: inout [UInt8], what: String) throws(Failure) -> Range<Int> {
        guard peek() == UInt8(ascii: "\"") else { throw Failure(message: "\(what) is a base64 string", column: index + 1) }
        let start = out.count
        index += 1
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        while true {
            guard index < count else { throw Failure(message: "a string is not closed", column: index + 1) }
            let c = base![index]
            if c == 34 { break }
            let v: UInt32
            switch c {
            case 65...90: v = UInt32(c - 65)
            case 97...122: v = UInt32(c - 71)
            case 48...57: v = UInt32(c) + 4
            case 43: v = 62
            case 47: v = 63
            case 61:
                padding += 1
                index += 1
                continue
            default: throw Failure(message: "\(what): '\(Unicode.Scalar(c))' is not a base64 character", column: index + 1)
            }
            guard padding == 0 else { throw Failure(message: "\(what): base64 text after '='", column: index + 1) }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
            index += 1
        }
        // Leftover bits must be zero and fewer than a byte: 0, 2 or 4 of them.
        if bits >= 6 || acc & ((1 << UInt32(bits)) - 1) != 0 || padding > 2 {
            throw Failure(message: "\(what) is not valid base64 (its length or last character is wrong)", column: index + 1)
        }
        index += 1
        return start..<out.count
    }

    /// An integer, or `nil` for `null`.
    mutating func integerOrNull(what: String) throws(Failure) -> Int64? {
        if peekLiteral("null") {
            index += 4
            return nil
        }
        let start = index
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var n: Int64 = 0
        var digits = 0
        while let c = peek(), c >= 48, c <= 57 {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(c - 48))
            guard !o1, !o2 else { throw Failure(message: "\(what) is too large", column: start + 1) }
            n = s
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw Failure(message: "\(what) is an integer or null", column: start + 1) }
        if let c = peek(), c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            throw Failure(message: "\(what) is an integer (no fraction or exponent)", column: start + 1)
        }
        return negative ? -n : n
    }

    /// Any JSON value (a member this reader ignores), checked for well-formedness.
    mutating func skipValue(depth: Int) throws(Failure) {
        guard depth < 64 else { throw Failure(message: "values nested too deep", column: index + 1) }
        guard let c = peek() else { throw Failure(message: "expected a value (the line ended)", column: index + 1) }
        switch c {
        case UInt8(ascii: "\""):
            _ = try memberName()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipSpace()
            if peek() == close {
                index += 1
                return
            }
            while true {
                skipSpace()
                if close == UInt8(ascii: "}") {
                    _ = try memberName()
                    skipSpace()
                    try expect(UInt8(ascii: ":"), "expected ':' after a member name")
                    skipSpace()
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                guard let next = peek() else { throw Failure(message: "a nested value is not closed", column: index + 1) }
                index += 1
                if next == close { return }
                guard next == UInt8(ascii: ",") else { throw Failure(message: "expected ',' in a nested value", column: index) }
            }
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for literal: StaticString in ["true", "false", "null"] where peekLiteral(literal) {
                index += literal.utf8CodeUnitCount
                return
            }
            throw Failure(message: "expected a value", column: index + 1)
        default:
            let start = index
            if peek() == UInt8(ascii: "-") { index += 1 }
            var any = false
            while let d = peek(), (d >= 48 && d <= 57) || d == UInt8(ascii: ".") || d == UInt8(ascii: "e") || d == UInt8(ascii: "E") || d == UInt8(ascii: "+") || d == UInt8(ascii: "-") {
                any = true
                index += 1
            }
            if !any { throw Failure(message: "expected a value", column: start + 1) }
        }
    }
}
