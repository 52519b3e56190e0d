// Public: the inlinable per-record code calls memchr (the module is not API, see below).
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// Splits bytes that arrive in chunks into records at a delimiter, and each record into key
/// and value at a key delimiter: how `kafka produce` reads its input.
///
/// A record is the bytes before the next occurrence of the delimiter; the key is the bytes of
/// a record before the first occurrence of the key delimiter. Records are slices of one buffer
/// (no copy per record) and do not depend on where the chunks end: a delimiter split across two
/// chunks is found. The bytes after the last delimiter are ``finish()``'s last record.
///
/// The module is not API: it exists so that the `kafka` command and the fuzzer (`make fuzz`)
/// share this code. The per-record methods are `@inlinable` so that they cost no more across
/// the module boundary than they did inside the command.
public struct KafkaRecordSplitter: Sendable {
    /// A record's key (when a key delimiter is set and occurs in it) and value, as slices of
    /// the splitter's buffer.
    public typealias Record = (key: ArraySlice<UInt8>?, value: ArraySlice<UInt8>)

    public let delimiter: [UInt8]
    public let keyDelimiter: [UInt8]?
    /// The input not yet handed out as records, from `start`.
    @usableFromInline var pending: [UInt8] = []
    @usableFromInline var start = 0
    /// Where the next delimiter search begins: bytes before it cannot start one. Without it a
    /// record longer than a chunk was searched again for every chunk (quadratic).
    @usableFromInline var searchFrom = 0

    /// - Precondition: `delimiter` and `keyDelimiter` are not empty.
    public init(delimiter: [UInt8], keyDelimiter: [UInt8]? = nil) {
        precondition(!delimiter.isEmpty, "the record delimiter is empty")
        precondition(keyDelimiter.map { !$0.isEmpty } ?? true, "the key delimiter is empty")
        self.delimiter = delimiter
        self.keyDelimiter = keyDelimiter
    }

    /// How many bytes follow the last delimiter: the start of a record not ended yet.
    @inlinable public var pendingCount: Int { pending.count - start }

    /// Adds the next chunk of input. Records handed out before stay valid (they are values).
    public mutating func append(_ chunk: [UInt8]) {
        if start == pending.count {
            pending = chunk
            searchFrom = 0
        } else {
            pending.removeSubrange(..<start)
            searchFrom -= start
            pending += chunk
        }
        start = 0
    }

    /// The next record ended by a delimiter, or `nil` when the input so far holds no more.
    @inlinable public mutating func next() -> Record? {
        nextRecord().map(keyAndValue(of:))
    }

    /// The next record ended by a delimiter, whole (key not split off), or `nil` when the
    /// input so far holds no more.
    @inlinable public mutating func nextRecord() -> ArraySlice<UInt8>? {
        guard let range = Self.find(delimiter, in: pending[searchFrom...]) else {
            // A delimiter that ends in the next chunk starts within the last count - 1 bytes.
            searchFrom = max(start, pending.count - (delimiter.count - 1))
            return nil
        }
        let record = pending[start..<range.lowerBound]
        start = range.upperBound
        searchFrom = start
        return record
    }

    /// Calls `body` with each complete record in place, key not split off, until `body`
    /// returns `false`: that record is then left to be the next one (``nextRecord()``). No
    /// slice, retain or copy per record: the fast path of `kafka produce`. The bytes are valid
    /// only in `body`.
    @inlinable public mutating func forEachRecord(_ body: (UnsafeRawBufferPointer) throws -> Bool) rethrows {
        try forEachRecord(body, then: {})
    }

    /// ``forEachRecord(_:)``, then `last`, once after the last call of `body`, while the
    /// records' bytes are still valid: for a caller that hands records on in batches.
    @inlinable public mutating func forEachRecord(
        _ body: (UnsafeRawBufferPointer) throws -> Bool, then last: () throws -> Void
    ) rethrows {
        let buffer = pending
        var start = self.start
        var searchFrom = self.searchFrom
        defer {
            self.start = start
            self.searchFrom = searchFrom
        }
        try buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return try last() }
            let end = raw.count
            let delimiter = self.delimiter
            while true {
                guard let at = Self.find(delimiter, in: base, from: searchFrom, to: end) else {
                    searchFrom = max(start, end - (delimiter.count - 1))
                    break
                }
                guard try body(UnsafeRawBufferPointer(start: base + start, count: at - start)) else {
                    // Left for nextRecord(), which finds the same delimiter again.
                    searchFrom = start
                    break
                }
                start = at + delimiter.count
                searchFrom = start
            }
            try last()
        }
    }

    /// The offset of the first occurrence of `needle` in `base[from..<to]`, raw.
    @inlinable public static func find(_ needle: [UInt8], in base: UnsafeRawPointer, from: Int, to: Int) -> Int? {
        guard to - from >= needle.count, let first = needle.first else { return nil }
        if needle.count == 1 {
            guard let hit = memchr(base + from, Int32(first), to - from) else { return nil }
            return UnsafeRawPointer(hit) - base
        }
        return needle.withUnsafeBytes { n -> Int? in
            let lastStart = to - needle.count
            var i = from
            while i <= lastStart {
                guard let hit = memchr(base + i, Int32(first), lastStart - i + 1) else { return nil }
                let at = UnsafeRawPointer(hit) - base
                if memcmp(hit + 1, n.baseAddress! + 1, needle.count - 1) == 0 { return at }
                i = at + 1
            }
            return nil
        }
    }

    /// The bytes after the last delimiter as the last record (input that does not end with
    /// the delimiter), or `nil` when there are none. The splitter is empty afterwards.
    public mutating func finish() -> Record? {
        finishRecord().map(keyAndValue(of:))
    }

    /// Like ``finish()``, the record whole.
    public mutating func finishRecord() -> ArraySlice<UInt8>? {
        guard start < pending.count else { return nil }
        let rest = pending[start...]
        pending = []
        start = 0
        searchFrom = 0
        return rest
    }

    /// Key and value of one record: no copy.
    @inlinable public func keyAndValue(of record: ArraySlice<UInt8>) -> Record {
        guard let keyDelimiter, let range = Self.find(keyDelimiter, in: record) else { return (nil, record) }
        return (record[..<range.lowerBound], record[range.upperBound...])
    }

    /// The first occurrence of `needle` in `bytes`; a one-byte needle (the usual newline) is a
    /// `memchr`.
    @inlinable public static func find(_ needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Range<Int>? {
        if needle.count == 1 {
            return bytes.withUnsafeBytes { raw -> Range<Int>? in
                guard let base = raw.baseAddress, let hit = memchr(base, Int32(needle[0]), raw.count) else { return nil }
                let index = bytes.startIndex + (UnsafeRawPointer(hit) - base)
                return index..<(index + 1)
            }
        }
        return findLonger(needle, in: bytes)
    }

    /// `memchr` for the needle's first byte, then a compare of the rest: the standard library's
    /// `firstRange(of:)` managed 8 MB/s with a two-byte delimiter; this runs at memory speed.
    @usableFromInline static func findLonger(_ needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Range<Int>? {
        needle.withUnsafeBytes { needle in
            bytes.withUnsafeBytes { haystack -> Range<Int>? in
                guard let base = haystack.baseAddress, let first = needle.first, haystack.count >= needle.count else { return nil }
                let lastStart = haystack.count - needle.count
                var from = 0
                while from <= lastStart {
                    guard let hit = memchr(base + from, Int32(first), lastStart - from + 1) else { return nil }
                    let offset = UnsafeRawPointer(hit) - base
                    if memcmp(hit + 1, needle.baseAddress! + 1, needle.count - 1) == 0 {
                        return (bytes.startIndex + offset)..<(bytes.startIndex + offset + needle.count)
                    }
                    from = offset + 1
                }
                return nil
            }
        }
    }
}
