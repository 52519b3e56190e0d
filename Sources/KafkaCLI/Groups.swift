import ArgumentParser
import KafkaKit
import KafkaKitEvents

/// `kafka groups list|describe|lag|reset-offsets|delete|delete-offsets`.
struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consumer groups: list them, describe one, sum up their lag, reset or delete their offsets, delete them.",
        subcommands: [List.self, Describe.self, Lag.self, ResetOffsets.self, Delete.self, DeleteOffsets.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every consumer group with its state.",
            discussion: "Text: GROUP<tab>STATE per line. JSON: [{\"group\",\"state\",\"simple\"}].")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var request: RequestTimeoutOption

        func run() async throws {
            try await reportingFailures {
                let groups = try await connection.adminClient().listConsumerGroups(timeout: request.duration)
                if output.isJSON {
                    printJSON(.array(groups.map { ["group": .string($0.groupID), "state": .string($0.state), "simple": .bool($0.isSimple)] }))
                } else {
                    for g in groups { print("\(g.groupID)\t\(g.state)") }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete consumer groups and their committed offsets.",
            discussion: "Kafka refuses a group that has members (NON_EMPTY_GROUP); the command exits 1 naming each group not deleted.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: "The groups.") var groups: [String]

        func validate() throws {
            if groups.isEmpty { throw ValidationError("name the groups to delete") }
            if groups.contains(where: \.isEmpty) { throw ValidationError("a group name is empty") }
        }

        func run() async throws {
            try await reportingFailures {
                try await connection.adminClient().deleteConsumerGroups(groups, timeout: request.duration)
                for group in groups { print("Group \(group) deleted") }
            }
        }
    }

    struct DeleteOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-offsets",
            abstract: "Delete a group's committed offsets of some partitions (Kafka's OffsetDelete).",
            discussion: """
                Kafka refuses partitions of topics the group's members are subscribed to \
                (GROUP_SUBSCRIBED_TO_TOPIC). Brokers without OffsetDelete (Kafka before 2.4, \
                Tansu 0.6.0, librdkafka's mock cluster) are refused before anything is sent.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: "The group.") var group: String
        @Option(name: .customLong("topic"), help: ArgumentHelp("A topic, or some of its partitions: TOPIC[:PARTITION,...] (repeatable).", valueName: "topic[:partitions]"))
        var topics: [String] = []

        func validate() throws {
            if group.isEmpty { throw ValidationError("the group name is empty") }
            if topics.isEmpty { throw ValidationError("say whose offsets to delete: --topic TOPIC[:PARTITION,...]") }
            _ = try parseTopicPartitions(topics, option: "--topic")
        }

        func run() async throws {
            try await reportingFailures {
                let admin = try connection.adminClient()
                let partitions = try await resolvePartitions(parseTopicPartitions(topics, option: "--topic"), admin: admin, timeout: request.duration)
                try await admin.deleteConsumerGroupOffsets(group: group, partitions: partitions, timeout: request.duration)
                print("Offsets of group \(group) deleted: \(partitions.map(\.description).joined(separator: ", "))")
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
