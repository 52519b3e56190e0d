import Testing
import _KafkaKitCLISupport

/// The admin commands' argument parsers, without a process: times, TOPIC:PARTITION lists and
/// kcat configuration files.
@Suite("kafka: times, partition lists and kcat files")
struct ArgumentParsingTests {
    let now: Int64 = 1_714_557_600_000  // 2024-05-01T10:00:00Z

    @Test("times: milliseconds, ISO 8601, dates, now, and times before now")
    func times() throws {
        func ms(_ text: String) throws -> Int64 { try KafkaTimeArgument.milliseconds(text, now: now) }
        #expect(try ms("1714557600000") == now)
        #expect(try ms("2024-05-01T10:00:00Z") == now)
        #expect(try ms("2024-05-01T12:00:00.250+02:00") == now + 250)
        #expect(try ms("2024-05-01") == now - 10 * 3_600_000)
        #expect(try ms("now") == now)
        #expect(try ms("@now") == now)
        #expect(try ms("-90s") == now - 90_000)
        #expect(try ms("-15m") == now - 900_000)
        #expect(try ms("@-15m") == now - 900_000)
        #expect(try ms("-2h") == now - 7_200_000)
        #expect(try ms("-7d") == now - 7 * 86_400_000)
        #expect(try ms("-500ms") == now - 500)
        for bad in ["", "yesterday", "-", "-5", "-5y", "-1.5h", "12:00", "2024-05-01T10:00:00", "2024-13-01", "--1h", "-99999999999999999999d", "１２３"] {
            let error = #expect(throws: KafkaTimeArgument.Problem.self, "\(bad)") { try ms(bad) }
            #expect(error?.description.contains("'\(bad)' is not a time") == true)
        }
    }

    @Test("TOPIC, TOPIC:P and TOPIC:P,P: partitions in order without repeats; bad lists named")
    func topicPartitions() throws {
        #expect(try KafkaTopicPartitionsArgument(parsing: "orders") == KafkaTopicPartitionsArgument(topic: "orders", partitions: nil))
        #expect(try KafkaTopicPartitionsArgument(parsing: "orders:3").partitions == [3])
        #expect(try KafkaTopicPartitionsArgument(parsing: "orders:2,0,2").partitions == [2, 0])
        for (bad, named) in [("orders:", "names no partition"), ("orders:x", "'x'"), ("orders:1,,2", "''"), ("orders:-1", "'-1'"), ("o:1:2", "'1:2'")] {
            let error = #expect(throws: KafkaTopicPartitionsArgument.Problem.self) { try KafkaTopicPartitionsArgument(parsing: bad) }
            #expect(error?.description.contains(named) == true, "\(bad): \(String(describing: error))")
        }
    }

    @Test("kcat files: name=value lines, comments and blanks skipped, values kept whole; a bad line named without its text")
    func propertiesFile() throws {
        let entries = try KafkaPropertiesFile.parse("# kcat\n\nbootstrap.servers=h:1\r\n  client.id = me  \nsasl.jaas.config=a=b # not a comment\n\t# indented comment\nempty=\n")
        #expect(entries.map(\.name) == ["bootstrap.servers", "client.id", "sasl.jaas.config", "empty"])
        #expect(entries.map(\.value) == ["h:1", "me", "a=b # not a comment", ""])
        #expect(entries.map(\.line) == [3, 4, 5, 7])
        let missing = #expect(throws: KafkaPropertiesFile.Problem.self) { try KafkaPropertiesFile.parse("a=1\nsasl.password hunter2\n") }
        #expect(missing?.line == 2 && missing?.description == "line 2: expected property=value")
        let unnamed = #expect(throws: KafkaPropertiesFile.Problem.self) { try KafkaPropertiesFile.parse(" =x") }
        #expect(unnamed?.line == 1 && unnamed?.description.contains("no property name") == true)
    }
}
