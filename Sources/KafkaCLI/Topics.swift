import ArgumentParser
import KafkaKit
import KafkaKitEvents

/// `kafka topics list|describe|create|delete|alter-config|add-partitions`.
struct Topics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, describe, create and delete topics; change their configuration; add partitions.",
        subcommands: [List.self, Describe.self, Create.self, Delete.self, AlterConfig.self, AddPartitions.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every topic with its partition count.",
            discussion: "Text: TOPIC<tab>PARTITIONS per line. JSON: [{\"topic\",\"partitions\"}].")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let metadata = try await connection.adminClient().metadata()
                let topics = metadata.topics.sorted(by: { $0.name < $1.name })
                if output.isJSON {
                    printJSON(.array(topics.map { ["topic": .string($0.name), "partitions": .number($0.partitions.count)] }))
                } else {
                    for t in topics { print("\(t.name)\t\(t.partitions.count)") }
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The topic's name.") var name: String
        // Unconditional: "--partitions -1" is a bad count, not a missing value.
        @Option(parsing: .unconditional, help: "Number of partitions.") var partitions: Int32
        @Option(name: .customLong("replication-factor"), parsing: .unconditional, help: "Replicas per partition (default: the broker's).") var replicationFactor: Int32 = -1
        @Option(name: .customLong("topic-config"), help: ArgumentHelp("A topic configuration entry (repeatable).", valueName: "name=value")) var config: [String] = []

        func validate() throws {
            try validateTopicName(name)
            if partitions < 1 { throw ValidationError("--partitions must be 1 or more") }
            if replicationFactor < 1, replicationFactor != -1 { throw ValidationError("--replication-factor must be 1 or more") }
            for entry in config where !entry.contains("=") { throw ValidationError("--topic-config takes name=value, not '\(entry)'") }
        }

        func run() async throws {
            try await reportingFailures {
                let entries = Dictionary(uniqueKeysWithValues: config.map { entry -> (String, String) in
                    let parts = entry.split(separator: "=", maxSplits: 1)
                    return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                })
                try await connection.adminClient()
                    .createTopics([KafkaNewTopic(name: name, partitions: partitions, replicationFactor: replicationFactor, config: entries)])
                print("Topic \(name) created with \(partitions) partitions")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The topic's name.") var name: String

        func validate() throws { try validateTopicName(name) }

        func run() async throws {
            try await reportingFailures {
                try await connection.adminClient().deleteTopics([name])
                print("Topic \(name) deleted")
            }
        }
    }
}
