extension KafkaJSON {
    /// How far ``escapeStringContents(_:from:into:capacity:strict:)`` got.
    package struct EscapeProgress: Sendable, Equatable {
        /// Where the input not yet escaped starts: the input's count once it is all written.
        package var next: Int
        /// The bytes written to the output.
        package var written: Int
        /// `false` when `strict` met bytes that are not UTF-8 (what was written is to be dropped).
        package var isValid: Bool
    }

    /// The one JSON string escaper of KafkaKit's JSON: ``KafkaJSON``'s strings, and the fields
    /// of `kafka consume --json`'s records, written in place from librdkafka's buffers.
    ///
    /// Writes the contents of a JSON string (no quotes) for `input[start...]` at `output`,
    /// as much as fits in `capacity` bytes: `"` `\` and control characters escaped (`\n` `\r`
    /// `\t` `\b` `\f`, others `\u00XX`, as kcat writes them), UTF-8 copied as it is. A byte that
    /// is not part of valid UTF-8 ends the work when `strict` (``EscapeProgress/isValid`` is
    /// `false`), and is written as U+FFFD otherwise.
    ///
    /// Plain runs (printable ASCII without `"` and `\`, and valid UTF-8) are found eight bytes
    /// at a time and copied whole. With room for the rest of the input plus 6 bytes the call
    /// always gets further; it stops, at the end of what it wrote, when the next escape does not
    /// fit, and is called again from ``EscapeProgress/next`` with more room.
    package static func escapeStringContents(
        _ input: UnsafeRawBufferPointer, from start: Int, into output: UnsafeMutablePointer<UInt8>, capacity: Int, strict: Bool
    ) -> EscapeProgress {
        let n = input.count
        guard let address = input.baseAddress, start < n else { return EscapeProgress(next: n, written: 0, isValid: true) }
        let p = address.assumingMemoryBound(to: UInt8.self)
        var i = start
        var run = start  // the start of the plain bytes not copied yet
        var written = 0
        while i < n {
            if i + 8 <= n {
                let w = (address + i).loadUnaligned(as: UInt64.self)
                let high: UInt64 = 0x8080_8080_8080_8080
                let ones: UInt64 = 0x0101_0101_0101_0101
                // A high bit in each lane of a byte below 0x20, equal to '"', equal to '\'.
                let control = (w &- 0x2020_2020_2020_2020) & ~w & high
                let q = w ^ 0x2222_2222_2222_2222
                let quote = (q &- ones) & ~q & high
                let b = w ^ 0x5C5C_5C5C_5C5C_5C5C
                let backslash = (b &- ones) & ~b & high
                if (w & high) | control | quote | backslash == 0 {
                    i += 8
                    continue
                }
            }
            let c = p[i]
            if c >= 0x20 && c < 0x80 && c != 34 && c != 92 {
                i += 1
                continue
            }
            if c >= 0x80 {
                let length = utf8SequenceLength(p + i, available: n - i)
                if length > 0 {
                    i += length
                    continue
                }
                if strict { return EscapeProgress(next: i, written: written, isValid: false) }
            }
            let pending = i - run
            if written + pending + 6 > capacity { return EscapeProgress(next: run, written: written, isValid: true) }
            (output + written).update(from: p + run, count: pending)
            written += pending
            let at = output + written
            switch c {
            case 34: at[0] = 92; at[1] = 34; written += 2
            case 92: at[0] = 92; at[1] = 92; written += 2
            case 10: at[0] = 92; at[1] = 110; written += 2
            case 13: at[0] = 92; at[1] = 114; written += 2
            case 9: at[0] = 92; at[1] = 116; written += 2
            case 8: at[0] = 92; at[1] = 98; written += 2
            case 12: at[0] = 92; at[1] = 102; written += 2
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                at[0] = 92; at[1] = 117; at[2] = 48; at[3] = 48
                at[4] = hex.utf8Start[Int(c >> 4)]
                at[5] = hex.utf8Start[Int(c & 15)]
                written += 6
            default:  // not UTF-8: U+FFFD
                at[0] = 0xEF; at[1] = 0xBF; at[2] = 0xBD
                written += 3
            }
            i += 1
            run = i
        }
        let pending = n - run
        if written + pending > capacity { return EscapeProgress(next: run, written: written, isValid: true) }
        (output + written).update(from: p + run, count: pending)
        return EscapeProgress(next: n, written: written + pending, isValid: true)
    }

    /// Appends bytes as a JSON string, quotes included, escaped by
    /// ``escapeStringContents(_:from:into:capacity:strict:)`` (bytes that are not UTF-8 become
    /// U+FFFD).
    package static func appendString(utf8 bytes: [UInt8], to out: inout [UInt8]) {
        bytes.withUnsafeBytes { appendString(utf8: $0, to: &out) }
    }

    /// Appends bytes, read in place, as a JSON string.
    package static func appendString(utf8 bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var next = 0
        while next < bytes.count {
            let room = bytes.count - next + 6
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: room))
            let progress = out.withUnsafeMutableBufferPointer { buffer in
                // The array is at least start + room long: baseAddress is not nil.
                escapeStringContents(bytes, from: next, into: buffer.baseAddress! + start, capacity: room, strict: false)
            }
            out.removeLast(room - progress.written)
            next = progress.next
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The length of the valid UTF-8 sequence (of 2 to 4 bytes) at `p`, or 0: no overlong
    /// forms, no surrogates, nothing above U+10FFFF.
    @inline(__always)
    static func utf8SequenceLength(_ p: UnsafePointer<UInt8>, available: Int) -> Int {
        let c = p[0]
        func continuation(_ i: Int) -> Bool { i < available && p[i] & 0xC0 == 0x80 }
        switch c {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return available > 2 && p[1] >= 0xA0 && p[1] <= 0xBF && continuation(2) ? 3 : 0
        case 0xED:
            return available > 2 && p[1] >= 0x80 && p[1] <= 0x9F && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xF0:
            return available > 3 && p[1] >= 0x90 && p[1] <= 0xBF && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return available > 3 && p[1] >= 0x80 && p[1] <= 0x8F && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }
}
