/// A file of librdkafka properties, one `name=value` a line, as kcat reads its `-F` file,
/// `$KCAT_CONFIG` or `~/.config/kcat.conf`: blank lines and lines starting with `#` are
/// skipped; spaces around the name and the value are removed; the value runs to the end of
/// the line (it may hold `=` and `#`).
///
/// Not API: the `kafka` command's reading of kcat's configuration files.
public enum KafkaPropertiesFile {
    /// A property and the line it came from.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var value: String
        public var line: Int
    }

    /// A line that is not `name=value`; the text of the line is left out (it may hold a secret).
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public static func parse(_ text: String) throws(Problem) -> [Entry] {
        var entries: [Entry] = []
        // "\r\n" is one Character in Swift: split on it as on "\n".
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw Problem(line: index + 1, reason: "expected property=value")
            }
            let name = trimmed[..<equals].trimmingSpaces()
            guard !name.isEmpty else { throw Problem(line: index + 1, reason: "no property name before '='") }
            entries.append(Entry(name: name, value: trimmed[trimmed.index(after: equals)...].trimmingSpaces(), line: index + 1))
        }
        return entries
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
