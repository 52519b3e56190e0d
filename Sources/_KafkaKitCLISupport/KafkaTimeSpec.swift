/// A point in time as `kafka consume --from` and `--until` take it: kcat's `s@MS` / `e@MS`
/// (milliseconds since the epoch), `@MS`, or a time before now, `@-DURATION` (also `s@-…`,
/// `e@-…`), where DURATION is numbers with units `ms`, `s`, `m`, `h`, `d`: `@-1h`, `@-90s`,
/// `@-1h30m`.
public enum KafkaTimeSpec {
    /// Whether `text` is meant as a time (starts with `@`, `s@` or `e@`).
    public static func isTime(_ text: String) -> Bool {
        text.hasPrefix("@") || text.hasPrefix("s@") || text.hasPrefix("e@")
    }

    /// The time in milliseconds since the epoch; `nowMilliseconds` resolves a relative time.
    /// `prefix` is the letter kcat puts before `@` for this option (`s` for a start, `e` for
    /// an end); the other letter is refused. Returns a message saying what is wrong otherwise.
    public static func parse(_ text: String, prefix: Character, nowMilliseconds: Int64) -> Result<Int64, Message> {
        var rest = Substring(text)
        if rest.first == prefix, rest.dropFirst().first == "@" {
            rest = rest.dropFirst(2)
        } else if rest.first == "@" {
            rest = rest.dropFirst()
        } else {
            return .failure(Message("'\(text)' is not a time: write \(prefix)@MILLISECONDS, @MILLISECONDS or @-DURATION (like @-1h)"))
        }
        if rest.first == "-" {
            guard let duration = parseDuration(rest.dropFirst()) else {
                return .failure(Message("bad duration in '\(text)': write numbers with units ms, s, m, h or d, like @-1h or @-1h30m"))
            }
            return .success(nowMilliseconds - duration)
        }
        guard !rest.isEmpty, rest.allSatisfy(\.isASCIIDigit), let ms = Int64(rest) else {
            return .failure(Message("bad time '\(text)': after '@' comes milliseconds since the epoch or -DURATION (like @-30m)"))
        }
        return .success(ms)
    }

    /// What is wrong with a time.
    public struct Message: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Milliseconds of `1h30m`-style text; `nil` if malformed (or zero parts).
    static func parseDuration(_ text: Substring) -> Int64? {
        var total: Int64 = 0
        var rest = text
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCIIDigit)
            guard !digits.isEmpty, let n = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit: Int64
            if rest.hasPrefix("ms") {
                unit = 1
                rest = rest.dropFirst(2)
            } else {
                switch rest.first {
                case "s": unit = 1000
                case "m": unit = 60_000
                case "h": unit = 3_600_000
                case "d": unit = 86_400_000
                default: return nil
                }
                rest = rest.dropFirst()
            }
            let (part, overflow) = n.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            let (sum, overflow2) = total.addingReportingOverflow(part)
            guard !overflow2 else { return nil }
            total = sum
        }
        return total
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
