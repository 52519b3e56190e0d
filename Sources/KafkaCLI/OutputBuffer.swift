import Foundation

/// Bytes formatted for standard output, written out in large pieces: memory of its own
/// (no array's uniqueness and capacity checks per append), appended to with `memcpy`, and
/// numbers, JSON strings and base64 written in place: no allocation per record.
///
/// A plain struct over a pointer: the owner calls ``release()`` once.
struct OutputBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1 << 17) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    func release() { base.deallocate() }

    /// Enough to write out: the owner writes at this size, not after every record.
    var isLarge: Bool { count >= 1 << 16 }

    /// Writes out everything formatted to `fd`; the `errno` of a failed write (the bytes are
    /// dropped).
    mutating func flush(to fd: Int32 = 1) -> Int32? {
        guard count > 0 else { return nil }
        defer { count = 0 }
        var offset = 0
        while offset < count {
            let n = Foundation.write(fd, base + offset, count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return n < 0 ? errno : EIO }
            offset += n
        }
        return nil
    }

    /// Forgets what was appended after `mark` (a ``count`` read earlier).
    mutating func truncate(to mark: Int) { count = mark }

    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    @inline(never)
    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawPointer, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        memcpy(base + count, bytes, n)
        count += n
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if let address = bytes.baseAddress { append(address, count: bytes.count) }
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// `value` in decimal.
    mutating func appendDecimal(_ value: Int64) {
        reserve(20)
        var magnitude = value.magnitude
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var at = count + digits
        count = at
        repeat {
            at -= 1
            base[at] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }

    /// `bytes` in base64 (with padding), without quotes.
    mutating func appendBase64(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        reserve((n + 2) / 3 * 4)
        guard let input = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        Self.base64Alphabet.withUnsafeBufferPointer { alphabet in
            var i = 0
            var o = count
            while i + 3 <= n {
                let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                base[o] = alphabet[Int(v >> 18)]
                base[o + 1] = alphabet[Int(v >> 12 & 63)]
                base[o + 2] = alphabet[Int(v >> 6 & 63)]
                base[o + 3] = alphabet[Int(v & 63)]
                i += 3
                o += 4
            }
            if n - i == 1 {
                let v = UInt32(input[i]) << 16
                base[o] = alphabet[Int(v >> 18)]
                base[o + 1] = alphabet[Int(v >> 12 & 63)]
                base[o + 2] = 61
                base[o + 3] = 61
                o += 4
            } else if n - i == 2 {
                let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
                base[o] = alphabet[Int(v >> 18)]
                base[o + 1] = alphabet[Int(v >> 12 & 63)]
                base[o + 2] = alphabet[Int(v >> 6 & 63)]
                base[o + 3] = 61
                o += 4
            }
            count = o
        }
    }

    private static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `bytes` as a JSON string, quotes included. With `strict`, bytes that are not UTF-8 undo
    /// the append and return `false` (the caller writes base64 instead); otherwise each
    /// invalid byte is written as U+FFFD.
    mutating func appendJSONString(_ bytes: UnsafeRawBufferPointer, strict: Bool) -> Bool {
        let mark = count
        let n = bytes.count
        // Enough when nothing is escaped; each escape reserves what the rest may need.
        reserve(n + 2)
        base[count] = 34
        count += 1
        guard let start = bytes.baseAddress else {
            base[count] = 34
            count += 1
            return true
        }
        let input = start.assumingMemoryBound(to: UInt8.self)
        var i = 0
        var run = 0  // start of the bytes not copied yet
        while i < n {
            // Eight plain bytes (printable ASCII, not '"' or '\') at a time.
            if i + 8 <= n {
                let w = (start + i).loadUnaligned(as: UInt64.self)
                let high: UInt64 = 0x8080_8080_8080_8080
                let ones: UInt64 = 0x0101_0101_0101_0101
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
            let c = input[i]
            if c >= 0x20 && c < 0x80 && c != 34 && c != 92 {
                i += 1
                continue
            }
            if c >= 0x80 {
                let length = Self.utf8SequenceLength(input + i, available: n - i)
                if length > 0 {
                    i += length
                    continue
                }
                if strict {
                    count = mark
                    return false
                }
                reserve(n - run + 8)
                copy(input + run, i - run)
                // U+FFFD
                base[count] = 0xEF
                base[count + 1] = 0xBF
                base[count + 2] = 0xBD
                count += 3
                i += 1
                run = i
                continue
            }
            reserve(n - run + 8)
            copy(input + run, i - run)
            base[count] = 92
            switch c {
            case 34: base[count + 1] = 34; count += 2
            case 92: base[count + 1] = 92; count += 2
            case 10: base[count + 1] = 110; count += 2
            case 13: base[count + 1] = 114; count += 2
            case 9: base[count + 1] = 116; count += 2
            default:
                let hex: StaticString = "0123456789abcdef"
                base[count + 1] = 117
                base[count + 2] = 48
                base[count + 3] = 48
                base[count + 4] = hex.utf8Start[Int(c >> 4)]
                base[count + 5] = hex.utf8Start[Int(c & 15)]
                count += 6
            }
            i += 1
            run = i
        }
        copy(input + run, n - run)
        base[count] = 34
        count += 1
        return true
    }

    @inline(__always)
    private mutating func copy(_ from: UnsafePointer<UInt8>, _ n: Int) {
        guard n > 0 else { return }
        memcpy(base + count, from, n)
        count += n
    }

    /// The length of the valid UTF-8 sequence (of 2 to 4 bytes) at `p`, or 0.
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
