import Foundation
import Testing
import _KafkaKitCLISupport

/// The pure pieces of `kafka consume` and `kafka produce`: escapes, format strings, times,
/// when to stop, and the JSON record reader. No broker, no process.
@Suite("kafka CLI support: escapes, formats, times, ends, JSON records")
struct CLISupportTests {
    @Test("escapes: \\n \\t \\r \\0 \\\\ and \\xNN (at most two digits); unknown ones are errors with a position")
    func escapes() throws {
        #expect(try KafkaEscapes.decode("a\\nb\\tc\\r\\0\\\\") == Array("a\nb\tc\r".utf8) + [0, 92])
        #expect(try KafkaEscapes.decode("\\x41\\x4142\\xff\\x7") == [0x41, 0x41, 0x34, 0x32, 0xff, 0x07])
        #expect(try KafkaEscapes.decode("é|") == Array("é|".utf8))
        #expect(throws: KafkaEscapes.Failure(message: "unknown escape '\\q' (known: \\n \\t \\r \\0 \\\\ \\xNN)", position: 3)) {
            try KafkaEscapes.decode("ab\\q")
        }
        #expect(throws: KafkaEscapes.Failure(message: "\\x needs one or two hexadecimal digits", position: 1)) { try KafkaEscapes.decode("\\xg") }
        #expect(throws: KafkaEscapes.Failure(message: "a lone backslash ends the text (write \\\\ for a backslash)", position: 2)) { try KafkaEscapes.decode("a\\") }
    }

    @Test("format strings: kcat's tokens, text with escapes joined, bad tokens named with their position")
    func formats() throws {
        let format = try KafkaOutputFormat("%t [%p] @%o %k=%K %s/%S %R %T %h %%\\x41\\n")
        #expect(format.pieces == [
            .topic, .text(Array(" [".utf8)), .partition, .text(Array("] @".utf8)), .offset, .text([32]), .key, .text([61]), .keyLength,
            .text([32]), .value, .text([47]), .valueLength, .text([32]), .valueLengthBinary, .text([32]), .timestamp, .text([32]),
            .headers, .text(Array(" %A\n".utf8)),
        ])
        #expect(format.usesHeaders)
        #expect(try KafkaOutputFormat("plain").pieces == [.text(Array("plain".utf8))])
        #expect(throws: KafkaEscapes.Failure(message: "unknown format token '%x' (known: %t %p %o %k %K %s %S %R %T %h %%)", position: 4)) {
            try KafkaOutputFormat("ab %x")
        }
        #expect(throws: KafkaEscapes.Failure(message: "the format ends with '%' (write %% for a percent sign)", position: 3)) { try KafkaOutputFormat("%s%") }
        #expect(throws: KafkaEscapes.Failure(message: "unknown escape '\\y' (known: \\n \\t \\r \\0 \\\\ \\xNN)", position: 5)) { try KafkaOutputFormat("%s: \\y") }
    }

    @Test("times: s@MS, e@MS, @MS, @-DURATION relative to now; the wrong prefix and bad durations are refused")
    func times() {
        let now: Int64 = 1_700_000_000_000
        #expect(KafkaTimeSpec.parse("s@1234", prefix: "s", nowMilliseconds: now) == .success(1234))
        #expect(KafkaTimeSpec.parse("@1234", prefix: "e", nowMilliseconds: now) == .success(1234))
        #expect(KafkaTimeSpec.parse("e@-1h", prefix: "e", nowMilliseconds: now) == .success(now - 3_600_000))
        #expect(KafkaTimeSpec.parse("@-30m", prefix: "s", nowMilliseconds: now) == .success(now - 1_800_000))
        #expect(KafkaTimeSpec.parse("@-1h30m15s500ms", prefix: "s", nowMilliseconds: now) == .success(now - 5_415_500))
        #expect(KafkaTimeSpec.parse("@-2d", prefix: "s", nowMilliseconds: now) == .success(now - 172_800_000))
        for bad in ["e@5", "@", "@-", "@-1x", "@-h", "@12a", "s@", "1234", "@-99999999999999999d"] {
            guard case .failure = KafkaTimeSpec.parse(bad, prefix: "s", nowMilliseconds: now) else {
                Issue.record("'\(bad)' was accepted")
                continue
            }
        }
        #expect(KafkaTimeSpec.isTime("@-1h") && KafkaTimeSpec.isTime("s@1") && KafkaTimeSpec.isTime("e@1") && !KafkaTimeSpec.isTime("-5"))
    }

    @Test("ends: stop once every assigned partition is at its end; revoked ones stop counting; re-assigned ones start over")
    func endsAtEnd() {
        var ends = KafkaPartitionEnds(exitAtEnd: true)
        #expect(ends.reachedEnd(0) == .none, "not assigned yet")
        #expect(ends.assigned([0, 1, 2]) == .none)
        #expect(ends.reachedEnd(0) == .none)
        #expect(ends.reachedEnd(2) == .none)
        #expect(ends.revoked([1]) == .stop, "what is left is at its end")
        #expect(ends.reachedEnd(1) == .none, "stop is returned once")

        var group = KafkaPartitionEnds(exitAtEnd: true)
        #expect(group.revoked([]) == .none, "an empty assignment is never done")
        #expect(group.assigned([0, 1]) == .none)
        #expect(group.reachedEnd(0) == .none)
        // An eager rebalance: everything revoked, then assigned anew.
        #expect(group.revoked([0, 1]) == .none)
        #expect(group.assigned([0, 1]) == .none)
        #expect(group.reachedEnd(1) == .none, "0's end was before it was assigned again")
        #expect(group.reachedEnd(0) == .stop)
    }

    @Test("ends: --until finishes a partition; without --exit-at-end the end alone does not")
    func endsUntil() {
        var ends = KafkaPartitionEnds(exitAtEnd: false)
        #expect(ends.assigned([0, 1]) == .none)
        #expect(ends.reachedEnd(0) == .none)
        #expect(ends.reachedUntil(0) == .none)
        #expect(ends.isDone(0) && !ends.isDone(1))
        #expect(ends.reachedEnd(1) == .none)
        #expect(ends.reachedUntil(1) == .stop)

        var both = KafkaPartitionEnds(exitAtEnd: true)
        #expect(both.assigned([0, 1]) == .none)
        #expect(both.reachedUntil(0) == .none)
        #expect(both.reachedEnd(1) == .stop)
    }

    /// Parses one line; the record as (key, value, headers, partition, timestamp) strings.
    static func parse(_ line: String) throws(KafkaJSONRecordParser.Failure) -> (String?, String?, [String], Int32?, Int64?) {
        var parser = KafkaJSONRecordParser()
        do {
            try Array(line.utf8).withUnsafeBytes { try parser.parse($0) }
        } catch let failure as KafkaJSONRecordParser.Failure {
            throw failure
        } catch {
            fatalError("parse throws only Failure")
        }
        func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: parser.bytes[$0], as: UTF8.self) } }
        let headers = parser.headers.map { "\(text($0.name)!)=\(text($0.value) ?? "<null>")" }
        return (text(parser.key), text(parser.value), headers, parser.partition, parser.timestamp)
    }

    @Test("JSON records: consume --json's shape, base64 fields, escapes and surrogate pairs, kcat -J's names")
    func jsonRecords() throws {
        let r = try Self.parse(#"{"topic":"t","partition":3,"offset":9,"timestamp":1700000000000,"key":"k","value":"v\n\"\u00e9\ud83d\ude00","headers":[{"key":"a","value":"1"},{"key":"n","value":null},{"key":"b","value_base64":"eA=="}]}"#)
        #expect(r.0 == "k" && r.1 == "v\n\"é😀" && r.2 == ["a=1", "n=<null>", "b=x"] && r.3 == 3 && r.4 == 1_700_000_000_000)
        let binary = try Self.parse(#" { "key_base64" : "/wA=" , "value_base64":"AAEC/w==" } "#)
        #expect(binary.0.map { Array($0.utf8) } == [0xEF, 0xBF, 0xBD, 0x00], "0xFF repaired only by this test's String")
        var parser = KafkaJSONRecordParser()
        try Array(#"{"value_base64":"AAEC/w"}"#.utf8).withUnsafeBytes { try parser.parse($0) }
        #expect(Array(parser.bytes[parser.value!]) == [0, 1, 2, 0xff], "padding is optional")
        let empty = try Self.parse("{}")
        #expect(empty.0 == nil && empty.1 == nil && empty.2.isEmpty && empty.3 == nil && empty.4 == nil)
        let kcat = try Self.parse(#"{"topic":"t","partition":0,"offset":1,"tstype":"create","ts":5,"broker":1,"headers":["a","1","n",null],"key":null,"payload":"p"}"#)
        #expect(kcat.0 == nil && kcat.1 == "p" && kcat.2 == ["a=1", "n=<null>"] && kcat.4 == 5)
        let ignored = try Self.parse(#"{"extra":{"x":[1,2.5e3,true,false,null,"s"]},"value":"v"}"#)
        #expect(ignored.1 == "v")
    }

    @Test("JSON records: what is wrong is named, with its column", arguments: [
        (#"[1]"#, 1, "expected '{'"),
        (#"{"key":1}"#, 8, "key is a string or null"),
        (#"{"key":"a","key_base64":"YQ=="}"#, 12, "given twice"),
        (#"{"value":"a","payload":"b"}"#, 14, "given twice"),
        (#"{"value_base64":"a*"}"#, 19, "not a base64 character"),
        (#"{"value_base64":"a"}"#, 19, "not valid base64"),
        (#"{"partition":-1}"#, 14, "out of range"),
        (#"{"partition":1.5}"#, 14, "no fraction"),
        (#"{"timestamp":"x"}"#, 14, "an integer or null"),
        (#"{"value":"a\qb"}"#, 12, "unknown escape"),
        (#"{"value":"\ud800"}"#, 11, "lone surrogate"),
        (#"{"value":"abc"#, 10, "not closed"),
        (#"{"value":"a"} x"#, 15, "text after"),
        (#"{"headers":[{"value":"x"}]}"#, 13, "without a \"key\""),
        (#"{"headers":["a"]}"#, 16, "name without its value"),
        (#"{"headers":{}}"#, 12, "headers is an array"),
        ("{\"value\":\"a\u{01}\"}", 12, "control character"),
    ])
    func jsonRecordErrors(line: String, column: Int, says: String) {
        do {
            _ = try Self.parse(line)
            Issue.record("\(line) was accepted")
        } catch {
            #expect(error.column == column && error.message.contains(says), "\(line): \(error)")
        }
    }

    @Test("JSON records: a blank line is blank")
    func blank() {
        #expect(Array("  \t\r".utf8).withUnsafeBytes { KafkaJSONRecordParser.isBlank($0) })
        #expect(!Array(" {}".utf8).withUnsafeBytes { KafkaJSONRecordParser.isBlank($0) })
    }
}
