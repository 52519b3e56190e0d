import ArgumentParser
import KafkaKitEvents

/// How a command prints what it found.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Columns and labels, for people.
    case text
    /// One JSON document on one line, for scripts (`jq`).
    case json
}

/// `--output text|json`, on every command that prints data.
struct OutputOptions: ParsableArguments {
    @Option(help: "text (for people) or json (one JSON document on one line, for scripts).")
    var output: OutputFormat = .text

    var isJSON: Bool { output == .json }
}

/// `--timeout`: how long an admin command waits for each answer.
struct RequestTimeoutOption: ParsableArguments {
    @Option(help: ArgumentHelp("How long to wait for each answer of the cluster.", valueName: "seconds"))
    var timeout: Double = 30

    func validate() throws {
        if !(timeout > 0 && timeout <= 3600) { throw ValidationError("--timeout takes seconds from more than 0 to 3600, not \(timeout)") }
    }

    var duration: Duration { .milliseconds(Int64((timeout * 1000).rounded(.up))) }
}

/// Prints a JSON document on one line. Every JSON the command writes goes through
/// ``KafkaJSON``'s writer — documents like this one, and `consume --json`'s records, whose
/// fields ``OutputBuffer`` escapes in place with
/// ``KafkaJSON/escapeStringContents(_:from:into:capacity:strict:)`` — so that strings are
/// escaped one way, by one function, everywhere.
func printJSON(_ value: KafkaJSON) {
    var bytes: [UInt8] = []
    value.write(into: &bytes)
    print(String(decoding: bytes, as: UTF8.self))
}

extension KafkaJSON {
    /// A number.
    static func number(_ value: some BinaryInteger) -> KafkaJSON { .int(Int64(value)) }

    /// A string, or `null`.
    static func text(_ value: String?) -> KafkaJSON { value.map { .string($0) } ?? .null }

    /// A number, or `null`.
    static func number(_ value: (some BinaryInteger)?) -> KafkaJSON { value.map { .int(Int64($0)) } ?? .null }
}

/// Rows in columns as wide as their widest cell, two spaces apart (the last column unpadded).
func printTable(_ header: [String], _ rows: [[String]], indent: String = "") {
    let all = [header] + rows
    var widths = [Int](repeating: 0, count: header.count)
    for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    for row in all {
        let cells = row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i]) }
        print(indent + cells.joined(separator: "  "))
    }
}
