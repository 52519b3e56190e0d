import Foundation
import KafkaKitEvents
import _KafkaKitCLISupport

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
    /// dropped). A reader that went away is `EPIPE`, not the end of the process (see
    /// ``kafkaWriteWithoutSIGPIPE(_:_:_:)``), so that the command can stop cleanly — a
    /// consumer leaving its group, every produced record still getting its outcome.
    mutating func flush(to fd: Int32 = 1) -> Int32? {
        guard count > 0 else { return nil }
        defer { count = 0 }
        return kafkaWriteWithoutSIGPIPE(fd, base, count)
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

    /// `bytes` as a JSON string, quotes included, escaped in place by KafkaJSON's one string
    /// escaper (``KafkaJSON/escapeStringContents(_:from:into:capacity:strict:)``). With
    /// `strict`, bytes that are not UTF-8 undo the append and return `false` (the caller
    /// writes base64 instead); otherwise each invalid byte is written as U+FFFD.
    mutating func appendJSONString(_ bytes: UnsafeRawBufferPointer, strict: Bool) -> Bool {
        let mark = count
        // Room for the quotes and one escape: enough, most often, for one pass.
        reserve(bytes.count + 8)
        base[count] = 34
        count += 1
        var next = 0
        while true {
            let progress = KafkaJSON.escapeStringContents(bytes, from: next, into: base + count, capacity: capacity - count - 1, strict: strict)
            guard progress.isValid else {
                count = mark
                return false
            }
            count += progress.written
            next = progress.next
            if next == bytes.count { break }
            reserve(bytes.count - next + 8)
        }
        base[count] = 34
        count += 1
        return true
    }
}
