import Foundation
import KafkaKit

/// The secrets written in fuzzed text, found by the grammar's own rules, and a *twin* of the
/// text in which only they differ.
///
/// Text shown to a user (an error's description, a dump) leaks a secret when it contains the
/// secret and the same text made from the twin contains the twin's secret: then the secret's
/// characters reached it. Comparing with the twin, rather than looking for the secret alone,
/// keeps words that merely occur in fixed messages ("number", "asterisk") from counting.
public enum Secrets {
    /// The values of sensitive keys (`sasl.password = ...`) and of sensitive properties of
    /// `socket = ...` values in `kafka.conf` text, split into lines and comments as the parser does.
    public static func inKafkaConf(_ text: String) -> [Range<String.Index>] {
        var found: [Range<String.Index>] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = raw
            if let semicolon = line.indices.first(where: { line[$0] == ";" && ($0 == line.startIndex || line[line.index(before: $0)] != "\\") }) {
                line = line[..<semicolon]
            }
            guard let equals = line.firstIndex(of: "="), !line.trimmingCharacters(in: .whitespaces).hasPrefix("[") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingWhitespace
            guard !value.isEmpty else { continue }
            if KafkaConfiguration.isSensitive(key) { found.append(value) }
            if key == "socket" { found += inSocket(text[value]) }
        }
        return found
    }

    /// The values of sensitive `g.`/`t.` properties (and items without `=` that name a secret)
    /// in `BROKERS/TOPIC?PROPS` text: what follows the first `?` after the first `/`.
    public static func inSocket(_ text: Substring) -> [Range<String.Index>] {
        guard let slash = text.firstIndex(of: "/"), let question = text[slash...].firstIndex(of: "?") else { return [] }
        var found: [Range<String.Index>] = []
        for item in text[text.index(after: question)...].split(separator: "&") {
            guard let equals = item.firstIndex(of: "=") else {
                if KafkaConfiguration.isSensitive(String(item).removingPercentEncodingLoosely) { found.append(item.startIndex..<item.endIndex) }
                continue
            }
            let name = String(item[..<equals]).removingPercentEncodingLoosely
            if KafkaConfiguration.isSensitive(name), item.index(after: equals) < item.endIndex {
                found.append(item.index(after: equals)..<item.endIndex)
            }
        }
        return found
    }

    /// The broker spec's secrets: those of its socket, after `[ID]`.
    public static func inBrokerSpec(_ text: String) -> [Range<String.Index>] {
        guard text.first == "[", let close = text.firstIndex(of: "]") else { return [] }
        return inSocket(text[text.index(after: close)...])
    }

    /// `text` with the ASCII letters and digits of `ranges` rotated within their class and
    /// hex-digit-ness (a→b…f→a, g→h…z→g, 0→1…9→0, likewise upper case), except the two characters
    /// after a `%`: the twin has the same length, the same percent escapes and the same grammar.
    public static func twin(of text: String, changing ranges: [Range<String.Index>]) -> String {
        var scalars = Array(text.unicodeScalars)
        let offsets = ranges.map { text.unicodeScalars.distance(from: text.startIndex, to: $0.lowerBound)..<text.unicodeScalars.distance(from: text.startIndex, to: $0.upperBound) }
        for range in offsets {
            var keep = 0
            for i in range {
                if keep > 0 { keep -= 1; continue }
                if scalars[i] == "%" { keep = 2; continue }
                scalars[i] = rotated(scalars[i])
            }
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }

    private static func rotated(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        func rotate(_ value: UInt32, _ first: Character, _ last: Character) -> UInt32 {
            let low = first.asciiValue.map(UInt32.init)!, high = last.asciiValue.map(UInt32.init)!
            return value == high ? low : value + 1
        }
        let v = scalar.value
        let r: UInt32
        switch scalar {
        case "0"..."9": r = rotate(v, "0", "9")
        case "a"..."f": r = rotate(v, "a", "f")
        case "g"..."z": r = rotate(v, "g", "z")
        case "A"..."F": r = rotate(v, "A", "F")
        case "G"..."Z": r = rotate(v, "G", "Z")
        default: r = v
        }
        return Unicode.Scalar(r)!
    }

    /// Fails when `shown` (a parse's error description or dump) shows one of the secrets of
    /// `text` at `ranges`: raw, with `\;` unescaped, or percent-decoded.
    public static func checkHidden(in text: String, at ranges: [Range<String.Index>], shown: (String) -> String) {
        guard !ranges.isEmpty else { return }
        let twinText = twin(of: text, changing: ranges)
        let original = shown(text)
        let twinShown = shown(twinText)
        for range in ranges {
            let offset = text.utf8.distance(from: text.startIndex, to: range.lowerBound)
            let length = text.utf8.distance(from: range.lowerBound, to: range.upperBound)
            let lower = twinText.utf8.index(twinText.startIndex, offsetBy: offset)
            let twinRange = lower..<twinText.utf8.index(lower, offsetBy: length)
            let secret = String(text.unicodeScalars[range]), twinSecret = String(twinText.unicodeScalars[twinRange])
            let forms = [
                (secret, twinSecret),
                (secret.replacingAll("\\;", with: ";"), twinSecret.replacingAll("\\;", with: ";")),
                (secret.removingPercentEncodingLoosely, twinSecret.removingPercentEncodingLoosely),
            ]
            for (a, b) in forms where a != b && a.count >= 4 {
                check(!(original.contains(a) && twinShown.contains(b)), "the secret '\(a)' of the input is shown: \(original)")
            }
        }
    }
}

extension Substring {
    /// The range of the text without the whitespace the parser trims (`CharacterSet.whitespaces`,
    /// scalar by scalar, as Foundation's `trimmingCharacters` does).
    var trimmingWhitespace: Range<String.Index> {
        let scalars = unicodeScalars
        let start = scalars.firstIndex { !CharacterSet.whitespaces.contains($0) } ?? scalars.endIndex
        let end = scalars[start...].lastIndex { !CharacterSet.whitespaces.contains($0) }.map { scalars.index(after: $0) } ?? start
        return start..<end
    }
}

extension String {
    /// `%XX` escapes decoded where the bytes are UTF-8; the text itself otherwise.
    var removingPercentEncodingLoosely: String {
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self) ?? self
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
