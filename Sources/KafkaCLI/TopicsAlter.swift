import ArgumentParser
import KafkaKit

extension Topics {
    struct AlterConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alter-config",
            abstract: "Change a topic's configuration entries, leaving the others as they are (IncrementalAlterConfigs).",
            discussion: """
                --delete removes the value set on the topic: the broker's default applies again. \
                --append and --subtract change list entries (cleanup.policy=compact,delete). \
                librdkafka's mock cluster cannot (no controller: the request waits until --timeout).
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: "The topic.") var topic: String
        @Option(name: .customLong("set"), help: ArgumentHelp("Set an entry (repeatable).", valueName: "name=value")) var set: [String] = []
        @Option(name: .customLong("delete"), help: ArgumentHelp("Remove an entry's value: back to the default (repeatable).", valueName: "name")) var delete: [String] = []
        @Option(name: .customLong("append"), help: ArgumentHelp("Add a value to a list entry (repeatable).", valueName: "name=value")) var append: [String] = []
        @Option(name: .customLong("subtract"), help: ArgumentHelp("Remove a value from a list entry (repeatable).", valueName: "name=value")) var subtract: [String] = []

        func alterations() throws -> [KafkaConfigAlteration] {
            func pairs(_ list: [String], _ option: String) throws -> [(String, String)] {
                try list.map { entry in
                    let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--\(option) takes name=value, not '\(entry)'") }
                    return (String(parts[0]), String(parts[1]))
                }
            }
            var all = try pairs(set, "set").map { KafkaConfigAlteration.set($0.0, to: $0.1) }
            all += try delete.map { name in
                guard !name.isEmpty, !name.contains("=") else { throw ValidationError("--delete takes an entry's name, not '\(name)'") }
                return KafkaConfigAlteration.delete(name)
            }
            all += try pairs(append, "append").map { KafkaConfigAlteration.append($0.0, $0.1) }
            all += try pairs(subtract, "subtract").map { KafkaConfigAlteration.subtract($0.0, $0.1) }
            if all.isEmpty { throw ValidationError("say what to change: --set name=value, --delete name, --append name=value or --subtract name=value") }
            let names = all.map(\.name)
            if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
                throw ValidationError("\(twice) is changed twice: one change per entry")
            }
            return all
        }

        func validate() throws {
            try validateTopicName(topic)
            _ = try alterations()
        }

        func run() async throws {
            try await reportingFailures {
                let alterations = try alterations()
                try await connection.adminClient().incrementalAlterConfigs(.topic(topic), alterations, timeout: request.duration)
                print("Topic \(topic): \(alterations.map(\.description).joined(separator: ", "))")
            }
        }
    }

    struct AddPartitions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-partitions",
            abstract: "Grow a topic to a number of partitions (CreatePartitions).",
            discussion: """
                Kafka cannot remove partitions: the count must be more than the topic has. Keys \
                then map to other partitions. Neither Tansu 0.6.0 nor librdkafka's mock cluster \
                can add partitions (refused, or a wait for a controller until --timeout).
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: "The topic.") var topic: String
        // Unconditional: "--partitions -1" is a bad count, not a missing value.
        @Option(parsing: .unconditional, help: "The topic's number of partitions afterwards.") var partitions: Int32

        func validate() throws {
            try validateTopicName(topic)
            if partitions < 2 { throw ValidationError("--partitions is the new total, 2 or more") }
        }

        func run() async throws {
            try await reportingFailures {
                let admin = try connection.adminClient()
                let count = try await admin.partitionCount(topic: topic, timeout: request.duration)
                guard partitions > count else { throw CLIFailure.kafka("topic \(topic) has \(count) partitions already: --partitions must be more") }
                try await admin.createPartitions(topic: topic, totalCount: Int(partitions), timeout: request.duration)
                print("Topic \(topic) now has \(partitions) partitions (had \(count))")
            }
        }
    }
}
