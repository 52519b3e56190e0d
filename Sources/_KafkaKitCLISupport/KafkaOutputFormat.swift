/// A `kafka consume --format` string, parsed once: kcat's `-f` tokens and escapes, so format
/// strings written for kcat print the same.
///
/// | token | prints |
/// |---|---|
/// | `%t` `%p` `%o` | topic, partition, offset |
/// | `%k` `%s` | key, value (the null text for a null one, else nothing) |
/// | `%K` `%S` | key, value length in bytes; `-1` for null |
/// | `%R` | value length as a 4-byte big-endian signed integer (`-1` for null) |
/// | `%T` | timestamp in milliseconds since the epoch (`-1` if none) |
/// | `%h` | headers as `name=value,...` (`name=NULL` for a null value) |
/// | `%%` | `%` |
///
/// Text between tokens takes the escapes of ``KafkaEscapes``.
public struct KafkaOutputFormat: Sendable, Equatable {
    /// One piece of the output of a record.
    public enum Piece: Sendable, Equatable {
        case text([UInt8])
        case topic, partition, offset, key, keyLength, value, valueLength, valueLengthBinary, timestamp, headers
    }

    public let pieces: [Piece]

    /// Whether any piece prints the headers (reading them costs a parse per record).
    public var usesHeaders: Bool { pieces.contains(.headers) }

    /// Parses `format`; throws naming the bad token or escape and its position.
    public init(_ format: String) throws(KafkaEscapes.Failure) {
        var pieces: [Piece] = []
        var literal = ""
        var literalStart = 1
        let chars = Array(format.unicodeScalars)
        var i = 0
        func flush() throws(KafkaEscapes.Failure) {
            guard !literal.isEmpty else { return }
            do {
                let bytes = try KafkaEscapes.decode(literal)
                if case .text(let before)? = pieces.last {
                    pieces[pieces.count - 1] = .text(before + bytes)
                } else {
                    pieces.append(.text(bytes))
                }
            } catch {
                throw KafkaEscapes.Failure(message: error.message, position: literalStart + error.position - 1)
            }
            literal = ""
        }
        while i < chars.count {
            let c = chars[i]
            guard c == "%" else {
                if literal.isEmpty { literalStart = i + 1 }
                literal.unicodeScalars.append(c)
                i += 1
                continue
            }
            guard i + 1 < chars.count else {
                throw KafkaEscapes.Failure(message: "the format ends with '%' (write %% for a percent sign)", position: i + 1)
            }
            let token = chars[i + 1]
            let piece: Piece
            switch token {
            case "t": piece = .topic
            case "p": piece = .partition
            case "o": piece = .offset
            case "k": piece = .key
            case "K": piece = .keyLength
            case "s": piece = .value
            case "S": piece = .valueLength
            case "R": piece = .valueLengthBinary
            case "T": piece = .timestamp
            case "h": piece = .headers
            case "%": piece = .text([37])
            default:
                throw KafkaEscapes.Failure(
                    message: "unknown format token '%\(token)' (known: %t %p %o %k %K %s %S %R %T %h %%)", position: i + 1)
            }
            try flush()
            if case .text(let bytes) = piece, case .text(let before)? = pieces.last {
                pieces[pieces.count - 1] = .text(before + bytes)
            } else {
                pieces.append(piece)
            }
            i += 2
        }
        try flush()
        self.pieces = pieces
    }
}
