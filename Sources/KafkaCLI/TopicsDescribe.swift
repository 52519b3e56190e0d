import ArgumentParser
import KafkaKit
import KafkaKitEvents

extension Topics {
    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A topic's partitions (leader, replicas, in-sync replicas) and the configuration entries that differ from the defaults.",
            discussion: """
                --all-configs shows every entry the broker describes; --no-configs none (no \
                DescribeConfigs request: librdkafka's mock cluster, which has no controller, would \
                keep it waiting until --timeout). A secret entry's value is never shown. JSON: \
                {"topic","partitions":[{"partition","leader","replicas","isr","error"}], \
                "configs":[{"name","value","source","default","read_only","sensitive"}]}. \
                Tansu 0.6.0 describes only the entries set on the topic, and marks them as defaults: \
                there, use --all-configs to see them.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: "The topic.") var topic: String
        @Flag(name: .customLong("all-configs"), help: "Every configuration entry, defaults included.") var allConfigs = false
        @Flag(name: .customLong("no-configs"), help: "No configuration entries.") var noConfigs = false

        func validate() throws {
            try validateTopicName(topic)
            if allConfigs && noConfigs { throw ValidationError("use either --all-configs or --no-configs, not both") }
        }

        func run() async throws {
            try await reportingFailures {
                let admin = try connection.adminClient()
                let metadata = try await admin.metadata(topic: topic, timeout: request.duration)
                guard let found = metadata.topic(topic), found.error == nil, !found.partitions.isEmpty else {
                    throw CLIFailure.kafka("topic \(topic) does not exist")
                }
                var configs: [KafkaResourceConfigEntry] = []
                if !noConfigs {
                    configs = try await admin.describeConfigs(.topic(topic), timeout: request.duration)
                        .filter { allConfigs || $0.differsFromDefault }
                        .sorted { $0.name < $1.name }
                }
                if output.isJSON {
                    printJSON([
                        "topic": .string(topic),
                        "partitions": .array(found.partitions.map { p in
                            [
                                "partition": .number(p.id), "leader": .number(p.leader), "replicas": .array(p.replicas.map { .number($0) }),
                                "isr": .array(p.inSyncReplicas.map { .number($0) }), "error": .text(p.error?.name),
                            ]
                        }),
                        "configs": .array(configs.map { c in
                            [
                                "name": .string(c.name), "value": .text(shown(c)), "source": .string(c.source.description),
                                "default": .bool(c.isDefault), "read_only": .bool(c.isReadOnly), "sensitive": .bool(c.isSensitive),
                            ]
                        }),
                    ])
                    return
                }
                let factor = found.partitions.map(\.replicas.count).max() ?? 0
                print("Topic: \(topic)  Partitions: \(found.partitions.count)  Replication factor: \(factor)")
                let ids = { (list: [Int32]) in list.map(String.init).joined(separator: ",") }
                printTable(["PARTITION", "LEADER", "REPLICAS", "ISR"], found.partitions.map { p in
                    [String(p.id), String(p.leader), ids(p.replicas), ids(p.inSyncReplicas) + (p.error.map { " (\($0.name))" } ?? "")]
                }, indent: "  ")
                guard !noConfigs else { return }
                print(allConfigs ? "Configs:" : "Configs that differ from the defaults:")
                if configs.isEmpty { print("  (none)") }
                for c in configs { print("  \(c.name) = \(shown(c) ?? "") (\(c.source))") }
            }
        }

        /// A value as it may be printed: never a secret's.
        func shown(_ entry: KafkaResourceConfigEntry) -> String? {
            if entry.isSensitive || KafkaConfiguration.isSensitive(entry.name) { return entry.value == nil ? nil : "[redacted]" }
            return entry.value
        }
    }
}
