import ArgumentParser
import KafkaKit
import KafkaKitEvents

/// `kafka metadata [--topic T] [--output json]`.
struct Metadata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show brokers, topics, partitions, leaders, replicas and ISRs.",
        discussion: """
            JSON: {"brokers":[{"id","host","port","controller"}],"topics":[{"topic","partitions": \
            [{"partition","leader","replicas","isrs","error"}],"error"}]} ("error" only where the \
            broker reported one).
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(name: [.customShort("t"), .long], help: "Only this topic.") var topic: String?
    @Flag(help: "JSON output (the same as --output json).") var json = false

    func validate() throws {
        if let topic { try validateTopicName(topic) }
    }

    func run() async throws {
        try await reportingFailures {
            let metadata = try await connection.adminClient().metadata(topic: topic)
            if let topic, let found = metadata.topic(topic), let error = found.error {
                throw CLIFailure.kafka("topic \(topic): \(error.explanation)")
            }
            if json || output.isJSON {
                printJSON(jsonValue(metadata))
                return
            }
            print("Metadata for \(topic.map { "topic \($0)" } ?? "all topics") (from broker \(metadata.originatingBrokerID)):")
            print(" \(metadata.brokers.count) brokers:")
            for b in metadata.brokers { print("  broker \(b.id) at \(b.host):\(b.port)\(b.isController ? " (controller)" : "")") }
            print(" \(metadata.topics.count) topics:")
            for t in metadata.topics.sorted(by: { $0.name < $1.name }) {
                print("  topic \"\(t.name)\" with \(t.partitions.count) partitions:\(t.error.map { " error \($0.name)" } ?? "")")
                for p in t.partitions {
                    let ids = { (list: [Int32]) in list.map(String.init).joined(separator: ",") }
                    print("    partition \(p.id), leader \(p.leader), replicas: \(ids(p.replicas)), isrs: \(ids(p.inSyncReplicas))\(p.error.map { ", error \($0.name)" } ?? "")")
                }
            }
        }
    }

    func jsonValue(_ metadata: KafkaMetadata) -> KafkaJSON {
        func withError(_ members: KafkaJSON, _ error: KafkaError.Code?) -> KafkaJSON {
            var object = members
            if let error { object.set("error", .string(error.name)) }
            return object
        }
        return [
            "brokers": .array(metadata.brokers.map {
                ["id": .number($0.id), "host": .string($0.host), "port": .number($0.port), "controller": .bool($0.isController)]
            }),
            "topics": .array(metadata.topics.sorted { $0.name < $1.name }.map { t in
                withError([
                    "topic": .string(t.name),
                    "partitions": .array(t.partitions.map { p in
                        withError([
                            "partition": .number(p.id), "leader": .number(p.leader), "replicas": .array(p.replicas.map { .number($0) }),
                            "isrs": .array(p.inSyncReplicas.map { .number($0) }),
                        ], p.error)
                    }),
                ], t.error)
            }),
        ]
    }
}
