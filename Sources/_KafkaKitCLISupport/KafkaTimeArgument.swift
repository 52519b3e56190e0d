import Foundation

/// A point in time given on the command line (`kafka offsets --at`, `groups reset-offsets
/// --to-time`), as milliseconds since the epoch.
///
/// Accepted: milliseconds since the epoch (`1714557600000`); an ISO 8601 date and time in
/// UTC or with an offset (`2024-05-01T10:00:00Z`, `2024-05-01T12:00:00.250+02:00`); a date
/// alone, meaning its midnight UTC (`2024-05-01`); `now`; a time before now (`-90s`, `-15m`,
/// `-2h`, `-7d`, `-500ms`, also written `@-2h` as kcat users do).
///
/// Not API: the `kafka` command's argument parsing, in a module of its own so that unit tests
/// reach it.
public enum KafkaTimeArgument {
    /// Why a time did not parse.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let text: String
        public var description: String {
            "'\(text)' is not a time: give milliseconds since the epoch, an ISO 8601 date-time "
                + "(2024-05-01T10:00:00Z), a date (2024-05-01), now, or a time before now (-30s, -15m, -2h, -7d)"
        }
    }

    /// The time `text` names, in milliseconds since the epoch; relative times count back from `now`.
    public static func milliseconds(_ text: String, now: Int64) throws(Problem) -> Int64 {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("@") { body = body.dropFirst() }
        if body == "now" { return now }
        if body.hasPrefix("-"), let back = relative(body.dropFirst()) { return now - back }
        if !body.isEmpty, body.allSatisfy(\.isASCII), body.allSatisfy(\.isNumber), let ms = Int64(body) { return ms }
        if let date = isoDate(String(body)) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        throw Problem(text: text)
    }

    /// `90s`, `15m`, `2h`, `7d`, `500ms` as milliseconds.
    static func relative(_ text: Substring) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(number) else { return nil }
            let (ms, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : ms
        }
        return nil
    }

    static func isoDate(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
        for formatter in [plain, withFraction] {
            if let date = formatter.date(from: text) { return date }
        }
        // A date alone: exactly YYYY-MM-DD (the formatter would accept a date-time prefix too).
        guard text.count == 10 else { return nil }
        return dateOnly.date(from: text)
    }
}
