// JSON (KafkaJSON(parsing:)): what it accepts round-trips (parse → write → parse gives the same
// value, numbers compared by value, and writing is then a fixpoint), compact and pretty; an
// error says "invalid JSON" and points into the text.
import FuzzSupport
import KafkaKit
import KafkaKitEvents

/// Equal values; an integer and a double are equal when they are the same number (the writer
/// writes a whole double as an integer).
func same(_ a: KafkaJSON, _ b: KafkaJSON) -> Bool {
    switch (a, b) {
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x == y
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(exactly: x) == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(same)
    case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && same($0.value, $1.value) }
    default: return a == b
    }
}

runFuzzer { data in
    let text = String(decoding: data, as: UTF8.self)
    do throws(KafkaError) {
        let value = try KafkaJSON(parsing: text)
        let written = value.jsonText
        let again = try KafkaJSON(parsing: written)
        check(same(value, again), "'\(text)' is written '\(written)', which parses to something else: \(again)")
        check(again.jsonText == written, "'\(written)' is written again as '\(again.jsonText)'")
        let pretty = try KafkaJSON(parsing: value.jsonText(pretty: true))
        check(same(value, pretty), "'\(text)' written pretty parses to something else: \(pretty)")
    } catch {
        checkPositioned(error, in: text)
        check(error.message.hasPrefix("invalid JSON: "), "\(error)")
    }
}
