import ArgumentParser
import Foundation
import KafkaKit
import KafkaKitEvents
import _KafkaKitCLISupport

/// `kafka offsets TOPIC[:PARTITION,...] [--at TIME|earliest|latest]` (kcat -Q).
struct Offsets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look up partitions' offsets: earliest and latest, or the first at or after a time (kcat -Q).",
        discussion: """
            Without --at: TOPIC PARTITION EARLIEST LATEST per partition. With --at: TOPIC \
            PARTITION OFFSET TIMESTAMP, the offset (and its record's timestamp) the query finds, \
            -1 when no record is that recent. JSON: [{"topic","partition","earliest","latest"}], \
            or [{"topic","partition","offset","timestamp"}] with --at. \
            On Tansu 0.6.0 latest counts record batches, not records, and a time always finds \
            offset 0; librdkafka's mock cluster answers earliest and latest exactly but finds no \
            offset (-1) for a time.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var request: RequestTimeoutOption
    @Argument(help: ArgumentHelp("Topics, or some of their partitions: TOPIC[:PARTITION,...].", valueName: "topic[:partitions]"))
    var topics: [String]
    // Unconditional: "-1h" is a time, not an option.
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "earliest, latest, max-timestamp (the record with the largest timestamp), or a time: milliseconds since the epoch, 2024-05-01T10:00:00Z, 2024-05-01, now, -30s/-15m/-2h/-7d before now.",
        valueName: "time"))
    var at: String?

    func query(now: Int64) throws -> KafkaOffsetQuery? {
        switch at {
        case nil: return nil
        case "earliest", "beginning": return .earliest
        case "latest", "end": return .latest
        case "max-timestamp": return .maxTimestamp
        case let text?:
            do throws(KafkaTimeArgument.Problem) {
                return .timestamp(try KafkaTimeArgument.milliseconds(text, now: now))
            } catch {
                throw ValidationError("bad --at: \(error.description)")
            }
        }
    }

    func validate() throws {
        if topics.isEmpty { throw ValidationError("name a topic: TOPIC[:PARTITION,...]") }
        _ = try parseTopicPartitions(topics, option: "topic")
        _ = try query(now: 0)
    }

    func run() async throws {
        try await reportingFailures {
            let admin = try connection.adminClient()
            let partitions = try await resolvePartitions(parseTopicPartitions(topics, option: "topic"), admin: admin, timeout: request.duration)
            if let query = try query(now: Int64(Date().timeIntervalSince1970 * 1000)) {
                let listed = try await admin.listOffsets(partitions, query: query, timeout: request.duration)
                if output.isJSON {
                    printJSON(.array(listed.map {
                        ["topic": .string($0.topic), "partition": .number($0.partition), "offset": .number($0.offset), "timestamp": .number($0.timestamp)]
                    }))
                } else {
                    printTable(["TOPIC", "PARTITION", "OFFSET", "TIMESTAMP"], listed.map { [$0.topic, String($0.partition), String($0.offset), String($0.timestamp)] })
                }
                return
            }
            let earliest = try await admin.listOffsets(partitions, query: .earliest, timeout: request.duration)
            let latest = try await admin.listOffsets(partitions, query: .latest, timeout: request.duration)
            let rows = earliest.map { e in (e, latest.first { $0.topic == e.topic && $0.partition == e.partition }?.offset ?? -1) }
            if output.isJSON {
                printJSON(.array(rows.map { e, end in
                    ["topic": .string(e.topic), "partition": .number(e.partition), "earliest": .number(e.offset), "latest": .number(end)]
                }))
            } else {
                printTable(["TOPIC", "PARTITION", "EARLIEST", "LATEST"], rows.map { e, end in [e.topic, String(e.partition), String(e.offset), String(end)] })
            }
        }
    }
}
