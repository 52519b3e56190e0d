import Testing
import _KafkaKitCLISupport

/// `kafka produce`'s input splitter, without a broker or a process.
@Suite("kafka produce: splitting input into records")
struct RecordSplitterTests {
    /// Every record of `input` fed in chunks of `chunk` bytes, the unterminated last one included,
    /// as strings (`key|value` when a key was split off).
    static func records(_ input: String, delimiter: String, key: String? = nil, chunk: Int = .max) -> [String] {
        var splitter = KafkaRecordSplitter(delimiter: Array(delimiter.utf8), keyDelimiter: key.map { Array($0.utf8) })
        let bytes = Array(input.utf8)
        var out: [String] = []
        func add(_ record: KafkaRecordSplitter.Record) {
            out.append((record.key.map { String(decoding: $0, as: UTF8.self) + "|" } ?? "") + String(decoding: record.value, as: UTF8.self))
        }
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(chunk, 1))
            splitter.append(Array(bytes[offset..<end]))
            offset = end
            while let record = splitter.next() { add(record) }
        } while offset < bytes.count
        if let last = splitter.finish() { add(last) }
        return out
    }

    @Test("lines: a final newline ends the last record, empty lines are empty records")
    func lines() {
        #expect(Self.records("a\nb\n", delimiter: "\n") == ["a", "b"])
        #expect(Self.records("a\nb", delimiter: "\n") == ["a", "b"])
        #expect(Self.records("a\n\nb\n", delimiter: "\n") == ["a", "", "b"])
        #expect(Self.records("", delimiter: "\n") == [])
        #expect(Self.records("\n", delimiter: "\n") == [""])
    }

    @Test("a delimiter split across chunks is found, at every chunk size", arguments: 1...9)
    func acrossChunks(chunk: Int) {
        #expect(Self.records("one<>two<><>three", delimiter: "<>", chunk: chunk) == ["one", "two", "", "three"])
        #expect(Self.records("k1:=v1;;k2:=v2;;", delimiter: ";;", key: ":=", chunk: chunk) == ["k1|v1", "k2|v2"])
    }

    @Test("overlapping delimiters split at the first occurrence, as one read of the whole input would")
    func overlapping() {
        for chunk in 1...4 {
            #expect(Self.records("aaa", delimiter: "aa", chunk: chunk) == ["", "a"])
            #expect(Self.records("aaaa", delimiter: "aa", chunk: chunk) == ["", ""])
            #expect(Self.records("xaab", delimiter: "aab", chunk: chunk) == ["x"])
        }
    }

    @Test("the key is the text before the first key delimiter; a record without one has no key")
    func keys() {
        #expect(Self.records("k:v:w\nplain\n:empty-key\n", delimiter: "\n", key: ":") == ["k|v:w", "plain", "|empty-key"])
    }

    @Test("what follows the last delimiter is pending until finish() hands it out")
    func pending() {
        var splitter = KafkaRecordSplitter(delimiter: Array("\n".utf8))
        splitter.append(Array("a\nbc".utf8))
        #expect(splitter.next().map { Array($0.value) } == Array("a".utf8))
        #expect(splitter.next() == nil)
        #expect(splitter.pendingCount == 2)
        splitter.append(Array("d".utf8))
        #expect(splitter.next() == nil)
        #expect(splitter.pendingCount == 3)
        #expect(splitter.finish().map { Array($0.value) } == Array("bcd".utf8))
        #expect(splitter.pendingCount == 0 && splitter.finish() == nil)
    }

    @Test("a record much longer than a chunk, with a two-byte delimiter, is searched once (not again per chunk)")
    func longRecord() {
        // 1 MiB in 1 KiB chunks: searching the whole pending record again for every chunk, as
        // `kafka produce` did, took 171 s in a debug build (quadratic); the new bytes only, 0.6 s.
        var splitter = KafkaRecordSplitter(delimiter: Array("\r\n".utf8))
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        for _ in 0..<1024 {
            splitter.append(chunk)
            #expect(splitter.next() == nil)
        }
        splitter.append(Array("\r\nnext".utf8))
        #expect(splitter.next()?.value.count == 1 << 20)
        #expect(splitter.finish().map { Array($0.value) } == Array("next".utf8))
    }

    @Test("forEachRecord walks the records in place, at every chunk size, and a record it is stopped at is next()'s", arguments: 1...7)
    func inPlace(chunk: Int) {
        let input = Array("one<>two<><>three<>fo".utf8)
        var splitter = KafkaRecordSplitter(delimiter: Array("<>".utf8))
        var out: [String] = []
        var offset = 0
        var turn = 0
        while offset < input.count {
            let end = min(input.count, offset + chunk)
            splitter.append(Array(input[offset..<end]))
            offset = end
            turn += 1
            // Every other chunk: stop after one record, leaving the rest to next().
            var budget = turn % 2 == 0 ? 1 : Int.max
            splitter.forEachRecord { bytes in
                guard budget > 0 else { return false }
                budget -= 1
                out.append(String(decoding: bytes, as: UTF8.self))
                return true
            }
            while let record = splitter.next() { out.append(String(decoding: record.value, as: UTF8.self)) }
        }
        if let last = splitter.finish() { out.append(String(decoding: last.value, as: UTF8.self)) }
        #expect(out == ["one", "two", "", "three", "fo"])
    }

    @Test("forEachRecord's last closure runs once, after the records, with their bytes still valid; also when none is complete")
    func inPlaceThen() {
        var splitter = KafkaRecordSplitter(delimiter: Array("\n".utf8))
        splitter.append(Array("a\nbb\nccc\ndd".utf8))
        var held: [UnsafeRawBufferPointer] = []
        var seen: [[String]] = []
        splitter.forEachRecord({ bytes in
            held.append(bytes)
            return held.count < 2
        }, then: {
            seen.append(held.map { String(decoding: $0, as: UTF8.self) })
        })
        #expect(seen == [["a", "bb"]])
        // The record it was stopped at is the next one; with no complete record left, `last` still runs.
        held = []
        splitter.forEachRecord({ bytes in
            held.append(bytes)
            return true
        }, then: { seen.append(held.map { String(decoding: $0, as: UTF8.self) }) })
        splitter.forEachRecord({ _ in true }, then: { seen.append([]) })
        #expect(seen == [["a", "bb"], ["bb", "ccc"], []])
        #expect(splitter.finish().map { Array($0.value) } == Array("dd".utf8))
    }
}
