// kafka produce's record splitter (KafkaRecordSplitter): fed the input in random chunks (empty
// ones too), read by next() and by the in-place forEachRecord in turns, it gives the records a
// plain scan of the whole input gives; records joined with
// the delimiter (and keys with the key delimiter) are the input; no record holds the delimiter,
// no key the key delimiter.
//
// Input: byte 0 = delimiter length - 1 (bits 0-1), key-delimiter length (bits 2-3, 0 = none),
// then the delimiter, the key delimiter, one byte seeding the chunk sizes, then the input.
import FuzzSupport
import _KafkaKitCLISupport

/// The reference: records at each first occurrence of the delimiter, by a byte-by-byte scan.
func plainSplit(_ input: [UInt8], _ delimiter: [UInt8], _ keyDelimiter: [UInt8]?) -> [[[UInt8]]] {
    func firstOccurrence(_ needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (bytes.startIndex...(bytes.endIndex - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
    func record(_ bytes: ArraySlice<UInt8>) -> [[UInt8]] {
        guard let keyDelimiter, let at = firstOccurrence(keyDelimiter, in: bytes) else { return [Array(bytes)] }
        return [Array(bytes[..<at]), Array(bytes[(at + keyDelimiter.count)...])]
    }
    var records: [[[UInt8]]] = []
    var rest = input[...]
    while let at = firstOccurrence(delimiter, in: rest) {
        records.append(record(rest[..<at]))
        rest = rest[(at + delimiter.count)...]
    }
    if !rest.isEmpty { records.append(record(rest)) }
    return records
}

func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
    bytes.count >= needle.count && (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
}

runFuzzer { data in
    var bytes = Array(data)[...]
    guard let header = bytes.popFirst() else { return }
    let delimiterLength = Int(header & 3) + 1, keyLength = Int(header >> 2 & 3)
    guard bytes.count >= delimiterLength + keyLength + 1 else { return }
    let delimiter = Array(bytes.prefix(delimiterLength))
    bytes = bytes.dropFirst(delimiterLength)
    let keyDelimiter = keyLength == 0 ? nil : Array(bytes.prefix(keyLength))
    bytes = bytes.dropFirst(keyLength)
    var seed = UInt32(bytes.popFirst()!) | 1
    let input = Array(bytes)

    var splitter = KafkaRecordSplitter(delimiter: delimiter, keyDelimiter: keyDelimiter)
    let keySplitter = splitter
    var records: [[[UInt8]]] = []
    func add(_ record: KafkaRecordSplitter.Record) {
        records.append(record.key.map { [Array($0), Array(record.value)] } ?? [Array(record.value)])
    }
    var offset = 0
    while offset < input.count {
        // xorshift: chunk sizes 0 to 16.
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5
        let end = min(input.count, offset + Int(seed % 17))
        splitter.append(Array(input[offset..<end]))
        offset = end
        // Half the time the in-place walk (kafka produce's fast path), stopped now and then
        // to leave a record for next(), as a full queue did.
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5
        if seed & 1 == 0 {
            var budget = Int((seed >> 1) % 4)
            splitter.forEachRecord { bytes in
                if budget == 0 { return false }
                budget -= 1
                add(keySplitter.keyAndValue(of: Array(bytes)[...]))
                return true
            }
        }
        while let record = splitter.next() { add(record) }
    }
    let pending = splitter.pendingCount
    if let last = splitter.finish() { add(last) }
    check(splitter.pendingCount == 0 && splitter.finish() == nil, "finish() left bytes")

    let expected = plainSplit(input, delimiter, keyDelimiter)
    check(records == expected, "records \(records), a plain scan gives \(expected)")
    var joined = records.map { $0.joined(separator: keyDelimiter ?? []) }.joined(separator: delimiter).map { $0 }
    if pending == 0, !records.isEmpty { joined += delimiter }
    check(joined == input, "records joined are \(joined), not the input \(input)")
    for record in records {
        check(!contains(record.joined(separator: keyDelimiter ?? []).map { $0 }, delimiter), "record \(record) holds the delimiter \(delimiter)")
        if let keyDelimiter, record.count == 2 { check(!contains(record[0], keyDelimiter), "key \(record[0]) holds the key delimiter \(keyDelimiter)") }
    }
}
