import KafkaKit
import KafkaKitEvents
import Testing

@Suite("JSON-RPC events and KafkaJSON")
struct EventEncodingTests {
    /// event_kafka's documented example, exactly as printed there.
    static let seedExample = """
        {
          "jsonrpc": "2.0",
          "method": "E_PIKE_BLOCKED",
          "params": {
            "ip": "192.168.2.11"
          }
        }
        """

    @Test("E_PIKE_BLOCKED comes out byte for byte as the seed's example, and compact as published")
    func seedEvent() throws {
        let event = KafkaEvent(name: "E_PIKE_BLOCKED", params: ["ip": "192.168.2.11"])
        #expect(event.jsonRPC(pretty: true) == Self.seedExample)
        #expect(event.jsonRPC == #"{"jsonrpc":"2.0","method":"E_PIKE_BLOCKED","params":{"ip":"192.168.2.11"}}"#)
        #expect(event.payload == Array(event.jsonRPC.utf8))
        // The seed's text parses back to the same notification.
        #expect(try KafkaJSON(parsing: Self.seedExample).jsonText == event.jsonRPC)
    }

    @Test("members keep their order; strings are escaped; numbers, booleans, null, arrays and nesting")
    func encoding() {
        let value: KafkaJSON = [
            "z": "first", "a": 1, "neg": -42, "pi": 3.25, "whole": 2.0, "yes": true, "no": false, "none": nil,
            "list": [1, "two", [], [:]], "nested": ["k": ["deep": "x"]],
            "text": "quote\" backslash\\ newline\n tab\t cr\r nul\u{0} bell\u{7} slash/ é ✓ 😀",
        ]
        #expect(value.jsonText == #"{"z":"first","a":1,"neg":-42,"pi":3.25,"whole":2,"yes":true,"no":false,"none":null,"list":[1,"two",[],{}],"nested":{"k":{"deep":"x"}},"text":"quote\" backslash\\ newline\n tab\t cr\r nul\u0000 bell\u0007 slash/ é ✓ 😀"}"#)
        #expect(KafkaJSON.double(.nan).jsonText == "null")
        #expect(KafkaJSON.double(1e300).jsonText == "1e+300")
        #expect(KafkaJSON.array([]).jsonText(pretty: true) == "[]")
        #expect(KafkaJSON.array([1, 2]).jsonText(pretty: true) == "[\n  1,\n  2\n]")
    }

    @Test("parsing round-trips, decodes escapes and surrogate pairs, and keeps member order")
    func parsing() throws {
        let text = #"  {"b": [1, -2.5e3, true, false, null, "x\u00e9\ud83d\ude00\n\"\\\/"], "a": {"c": {}}, "big": 12345678901234567890}  "#
        let value = try KafkaJSON(parsing: text)
        #expect(value["b"] == [1, -2500.0, true, false, nil, "xé😀\n\"\\/"])
        #expect(value["a"] == ["c": [:]])
        #expect(value["big"] == .double(Double("12345678901234567890")!))
        #expect(value.jsonText.hasPrefix(#"{"b":"#), "order kept: \(value.jsonText)")
        // Whole doubles are written as integers, so compare text.
        #expect(try KafkaJSON(parsing: value.jsonText).jsonText == value.jsonText)
    }

    /// Malformed JSON, the position of the error, and words of its message.
    static let badJSON: [(String, Int, String)] = [
        ("", 1, "expected a value"),
        ("{", 2, "expected a member name"),
        (#"{"a" 1}"#, 6, "expected ':'"),
        (#"{"a":1,}"#, 8, "expected a member name"),
        (#"{"a":1 "b":2}"#, 8, "expected ',' or '}'"),
        ("[1,]", 4, "expected a value"),
        ("[1 2]", 4, "expected ',' or ']'"),
        (#""abc"#, 5, "unterminated string"),
        (#""a\qb""#, 3, "invalid escape"),
        (#""\u12g4""#, 6, "four hex digits"),
        (#""\ud800x""#, 8, "low surrogate"),
        ("01", 1, "do not start with 0"),
        ("-", 2, "expected digits"),
        ("1.", 3, "digits after '.'"),
        ("1e", 3, "exponent"),
        ("tru", 1, "expected a value"),
        ("{} x", 4, "unexpected text after"),
        ("\"é\" é", 5, "unexpected text after"),
        ("\"a\nb\"", 3, "control characters"),
        (String(repeating: "[", count: 300), 257, "nested more than 256"),
    ]

    @Test("malformed JSON is refused with what was expected and where")
    func malformed() {
        for (text, position, words) in Self.badJSON {
            do {
                let value = try KafkaJSON(parsing: text)
                Issue.record("\(text) parsed as \(value)")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.position == position, "\(text): \(error)")
                #expect(error.message.contains(words), "\(text): \(error.message)")
            }
        }
    }

    @Test("set replaces a member in place or appends it")
    func setMember() {
        var value: KafkaJSON = ["a": 1, "b": 2]
        value.set("a", "one")
        value.set("c", 3)
        #expect(value.jsonText == #"{"a":"one","b":2,"c":3}"#)
        var scalar: KafkaJSON = 5
        scalar.set("x", true)
        #expect(scalar.jsonText == #"{"x":true}"#)
    }

    @Test("events without params carry an empty object; names and keys are escaped, the key is not in the payload")
    func edgeEvents() {
        let event = KafkaEvent(name: "E_\"ODD\"", correlationKey: "call-1@host")
        #expect(event.jsonRPC == #"{"jsonrpc":"2.0","method":"E_\"ODD\"","params":{}}"#)
        #expect(!event.jsonRPC.contains("call-1"))
    }
}
