import ArgumentParser
import Foundation
import KafkaKit

/// `kafka metadata [--topic T] [--json]`.
struct Metadata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show brokers, topics, partitions, leaders, replicas and ISRs.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this topic.") var topic: String?
    @Flag(help: "JSON output.") var json = false

    func validate() throws {
        if let topic { try validateTopicName(topic) }
    }

    struct JSONMetadata: Encodable {
        struct Broker: Encodable { var id: Int32; var host: String; var port: Int32; var controller: Bool }
        struct Partition: Encodable { var partition: Int32; var leader: Int32; var replicas: [Int32]; var isrs: [Int32]; var error: String? }
        struct Topic: Encodable { var topic: String; var partitions: [Partition]; var error: String? }
        var brokers: [Broker]
        var topics: [Topic]
    }

    func run() async throws {
        try await reportingFailures {
            let admin = try KafkaAdminClient(configuration: try connection.configuration())
            let metadata = try await admin.metadata(topic: topic)
            if let topic, let found = metadata.topic(topic), let error = found.error {
                throw CLIFailure.kafka("topic \(topic): \(error.explanation)")
            }
            if json {
                let value = JSONMetadata(
                    brokers: metadata.brokers.map { .init(id: $0.id, host: $0.host, port: $0.port, controller: $0.isController) },
                    topics: metadata.topics.sorted { $0.name < $1.name }.map { t in
                        .init(topic: t.name, partitions: t.partitions.map {
                            .init(partition: $0.id, leader: $0.leader, replicas: $0.replicas, isrs: $0.inSyncReplicas, error: $0.error?.name)
                        }, error: t.error?.name)
                    })
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(value), as: UTF8.self))
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
}
