/// The backslash escapes of `kafka`'s delimiter and format options, as kcat reads them:
/// `\n`, `\t`, `\r`, `\0` (a NUL byte), `\\` (one backslash) and `\xNN` (the byte of one or two
/// hexadecimal digits).
///
/// Unlike kcat, which reads every hexadecimal digit after `\x` (so `\x4142` is one byte, 0x42)
/// and every decimal digit after a backslash, `\x` takes at most two digits, so a byte can be
/// followed by a literal digit; and an unknown escape is an error instead of the letter itself.
public enum KafkaEscapes {
    /// A malformed escape: what was wrong, and the character position (1-based) of its backslash.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var position: Int

        public var description: String { "\(message) at position \(position)" }

        public init(message: String, position: Int) {
            self.message = message
            self.position = position
        }
    }

    /// The bytes `text` stands for.
    public static func decode(_ text: String) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "\\" else {
                out += Array(String(c).utf8)
                i += 1
                continue
            }
            let position = i + 1
            guard i + 1 < chars.count else {
                throw Failure(message: "a lone backslash ends the text (write \\\\ for a backslash)", position: position)
            }
            let e = chars[i + 1]
            i += 2
            switch e {
            case "n": out.append(10)
            case "t": out.append(9)
            case "r": out.append(13)
            case "0": out.append(0)
            case "\\": out.append(92)
            case "x":
                var value: UInt8 = 0
                var digits = 0
                while digits < 2, i < chars.count, let digit = hexValue(chars[i]) {
                    value = value << 4 | digit
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { throw Failure(message: "\\x needs one or two hexadecimal digits", position: position) }
                out.append(value)
            default:
                throw Failure(message: "unknown escape '\\\(e)' (known: \\n \\t \\r \\0 \\\\ \\xNN)", position: position)
            }
        }
        return out
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt8? {
        switch c.value {
        case 0x30...0x39: UInt8(c.value - 0x30)
        case 0x41...0x46: UInt8(c.value - 0x41 + 10)
        case 0x61...0x66: UInt8(c.value - 0x61 + 10)
        default: nil
        }
    }
}
