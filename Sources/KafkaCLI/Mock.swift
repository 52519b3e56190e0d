import ArgumentParser
import Foundation
import KafkaKit
import KafkaKitEvents

/// `kafka mock --brokers N --topic NAME:PARTITIONS ...`: librdkafka's mock cluster until a signal.
struct Mock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run librdkafka's mock Kafka cluster, printing its bootstrap address, until SIGINT or SIGTERM.",
        discussion: """
            For development and tests without a broker: the first line on stdout is the \
            bootstrap address (127.0.0.1:PORT,...; --output json: {"bootstrap_servers","brokers", \
            "topics":[{"topic","partitions","replication_factor"}]}), so a script can read it and \
            pass it to --brokers. The cluster lives in this process: SIGINT or SIGTERM stops it \
            and the command exits 0. \
            It serves producing, consuming, consumer groups, committed offsets (of the \
            partitions named), ListOffsets (earliest and latest; a time finds no offset), \
            idempotence and transactions, and creates a topic on first use (with the mock's \
            default partition count). It has no administration API: describing, listing or \
            deleting groups, deleting offsets or records are refused; creating topics or \
            partitions and configurations wait for a controller until --timeout. So kafka \
            offsets and groups reset-offsets (without --execute) work on it; groups describe \
            and lag find no offsets.
            """)

    @Option(help: "How many brokers (IDs 1 to N).") var brokers: Int = 1
    @Option(name: .customLong("topic"), help: ArgumentHelp("A topic to create: NAME:PARTITIONS[:REPLICATION-FACTOR] (repeatable).", valueName: "name:partitions"))
    var topics: [String] = []
    @OptionGroup var output: OutputOptions
    @Flag(name: .customShort("q"), help: "Quiet: no note on stderr.") var quiet = false

    struct TopicSpec {
        var name: String
        var partitions: Int32
        var replicationFactor: Int32
    }

    func specs() throws -> [TopicSpec] {
        try topics.map { text in
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, let partitions = Int32(parts[1]), partitions >= 1,
                  let replication = parts.count == 3 ? Int32(parts[2]) : 1, replication >= 1 else {
                throw ValidationError("--topic takes NAME:PARTITIONS[:REPLICATION-FACTOR] with counts of 1 or more, not '\(text)'")
            }
            try validateTopicName(parts[0])
            if replication > brokers { throw ValidationError("--topic \(text): a replication factor of \(replication) needs as many brokers (--brokers \(brokers))") }
            return TopicSpec(name: parts[0], partitions: partitions, replicationFactor: replication)
        }
    }

    func validate() throws {
        if brokers < 1 || brokers > 1000 { throw ValidationError("--brokers takes 1 to 1000, not \(brokers)") }
        _ = try specs()
    }

    func run() async throws {
        let stop = StopSignals()
        try await reportingFailures {
            let cluster = try KafkaMockCluster(brokers: brokers)
            let specs = try specs()
            for spec in specs { try cluster.createTopic(spec.name, partitions: spec.partitions, replicationFactor: spec.replicationFactor) }
            if output.isJSON {
                printJSON([
                    "bootstrap_servers": .string(cluster.bootstrapServers), "brokers": .number(brokers),
                    "topics": .array(specs.map { ["topic": .string($0.name), "partitions": .number($0.partitions), "replication_factor": .number($0.replicationFactor)] }),
                ])
            } else {
                print(cluster.bootstrapServers)
            }
            fflush(nil)  // the address is read at once, from a pipe too
            if !quiet { printError("kafka mock: \(brokers) broker\(brokers == 1 ? "" : "s") at \(cluster.bootstrapServers); SIGINT or SIGTERM stops it") }
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in stop.onStop { done.resume() } }
            withExtendedLifetime(cluster) {}
        }
    }
}
