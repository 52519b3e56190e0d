import ArgumentParser
import KafkaKit
import KafkaKitEvents

/// `kafka records delete TOPIC[:PARTITION,...] --before OFFSET|end`.
struct Records: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete the records of partitions before an offset.", subcommands: [Delete.self])

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every record before an offset (Kafka's DeleteRecords): the partition then starts there.",
            discussion: """
                Prints TOPIC PARTITION LOW-WATERMARK, each partition's new first offset. JSON: \
                [{"topic","partition","low_watermark"}]. An offset past the partition's end is \
                refused (OFFSET_OUT_OF_RANGE). Neither Tansu 0.6.0 (its memory storage does not \
                implement it and drops the connection) nor librdkafka's mock cluster (refused as \
                unsupported) can delete records.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: ArgumentHelp("TOPIC:PARTITION[,PARTITION...], or TOPIC for all its partitions.", valueName: "topic[:partitions]"))
        var partitions: [String]
        // Unconditional: "--before -5" is a bad offset, not a missing value.
        @Option(parsing: .unconditional, help: ArgumentHelp("The offset to keep from (records before it go), or end: every record.", valueName: "offset"))
        var before: String

        func offset() throws -> Int64 {
            if before == "end" { return KafkaOffset.end.rawValue }
            guard let n = Int64(before), n >= 0 else { throw ValidationError("--before takes an offset (0 or more) or end, not '\(before)'") }
            return n
        }

        func validate() throws {
            if partitions.isEmpty { throw ValidationError("name the partitions: TOPIC:PARTITION[,PARTITION...]") }
            _ = try parseTopicPartitions(partitions, option: "partition")
            _ = try offset()
        }

        func run() async throws {
            try await reportingFailures {
                let admin = try connection.adminClient()
                let offset = try offset()
                let resolved = try await resolvePartitions(parseTopicPartitions(partitions, option: "partition"), admin: admin, timeout: request.duration)
                let low = try await admin.deleteRecords(
                    before: resolved.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition, offset: offset) }, timeout: request.duration)
                if output.isJSON {
                    printJSON(.array(low.map { ["topic": .string($0.topic), "partition": .number($0.partition), "low_watermark": .number($0.offset)] }))
                } else {
                    printTable(["TOPIC", "PARTITION", "LOW-WATERMARK"], low.map { [$0.topic, String($0.partition), String($0.offset)] })
                }
            }
        }
    }
}
