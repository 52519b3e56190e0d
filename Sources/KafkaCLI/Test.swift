import ArgumentParser
import KafkaKit
import KafkaKitConnections

/// `kafka test send connection NAME topic TOPIC message MSG [key KEY]` (res_kafka's syntax).
struct Test: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Test a connection.", subcommands: [Send.self])

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send one message and wait for the broker's acknowledgement.",
            usage: "kafka test send connection <name> topic <topic> message <msg> [key <key>]"
        )

        @OptionGroup var file: ConfigFileOption
        @Argument(help: "connection NAME topic TOPIC message MSG [key KEY]") var words: [String] = []

        func parsed() throws -> (connection: String, topic: String, message: String, key: String?) {
            var values: [String: String] = [:]
            var i = 0
            while i < words.count {
                let word = words[i]
                guard ["connection", "topic", "message", "key"].contains(word) else {
                    throw ValidationError("unexpected '\(word)': expected connection, topic, message or key")
                }
                guard i + 1 < words.count else { throw ValidationError("'\(word)' needs a value") }
                guard values[word] == nil else { throw ValidationError("'\(word)' given twice") }
                values[word] = words[i + 1]
                i += 2
            }
            for required in ["connection", "topic", "message"] where values[required] == nil {
                throw ValidationError("missing '\(required) <value>'")
            }
            try validateTopicName(values["topic"]!)
            return (values["connection"]!, values["topic"]!, values["message"]!, values["key"])
        }

        func validate() throws { _ = try parsed() }

        func run() async throws {
            let (name, topic, message, key) = try parsed()
            try await reportingFailures {
                let registry = KafkaConnectionRegistry(try file.load())
                let producer: KafkaProducer
                do { producer = try registry.producer(for: name) } catch {
                    // Unknown name, disabled connections, or a property librdkafka rejects: all
                    // are the configuration's fault.
                    throw CLIFailure.configuration("\(error)")
                }
                // Succeeds only once the broker acknowledged; fails within message_timeout_ms.
                // Shut down on either path before returning: the process exits right after, and
                // must not while the producer's threads run (LeakSanitizer saw it, as the
                // shutdown used to be left to a task nothing waited for).
                do {
                    _ = try await producer.sendAndWait(KafkaProducerRecord(topic: topic, key: key, value: message))
                } catch {
                    await registry.shutdown()
                    throw error
                }
                print("Message sent successfully")
                await registry.shutdown()
            }
        }
    }
}
