import ArgumentParser
import Foundation
import KafkaKit
import KafkaKitEvents
import _KafkaKitCLISupport

extension Groups {
    struct ResetOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Move a group's committed offsets: a dry run printing the plan, unless --execute.",
            discussion: """
                Prints, per partition, the committed offset (CURRENT, '-' if none), the \
                partition's EARLIEST and LATEST offsets, and the NEW offset the group would read \
                next. A NEW offset outside EARLIEST..LATEST is moved to the nearer end (marked \
                '*'). Without --execute nothing changes. With --execute the offsets are committed, \
                and refused (exit 1) while the group has members: stop its consumers first. \
                JSON: {"group","target","executed","partitions":[{"topic","partition","current", \
                "earliest","latest","new","clamped"}]}. \
                On Tansu 0.6.0 LATEST counts record batches, not records, and --to-time finds \
                offset 0 whatever the time; librdkafka's mock cluster finds no offset for a time \
                (--to-time moves to LATEST there) and cannot describe the group, so --execute is \
                refused on it.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: "The group.") var group: String
        @Option(name: .customLong("topic"), help: ArgumentHelp("A topic, or some of its partitions: TOPIC[:PARTITION,...] (repeatable).", valueName: "topic[:partitions]"))
        var topics: [String] = []
        @Flag(name: .customLong("all-topics"), help: "Every partition the group has committed offsets for.")
        var allTopics = false
        @Flag(name: .customLong("to-earliest"), help: "To each partition's first offset: the group reads everything again.")
        var toEarliest = false
        @Flag(name: .customLong("to-latest"), help: "To each partition's end: the group skips everything written so far.")
        var toLatest = false
        @Option(name: .customLong("to-offset"), parsing: .unconditional, help: ArgumentHelp("To this offset in every partition.", valueName: "offset"))
        var toOffset: Int64?
        @Option(name: .customLong("to-time"), parsing: .unconditional, help: ArgumentHelp(
            "To the first offset at or after this time: milliseconds since the epoch, 2024-05-01T10:00:00Z, 2024-05-01, now, or -30s/-15m/-2h/-7d before now.",
            valueName: "time"))
        var toTime: String?
        @Option(name: .customLong("shift-by"), parsing: .unconditional, help: ArgumentHelp("The committed offset plus N (back when negative).", valueName: "n"))
        var shiftBy: Int64?
        @Flag(help: "Commit the new offsets (default: a dry run that changes nothing).")
        var execute = false

        func target(now: Int64) throws -> KafkaOffsetResetTarget {
            var targets: [KafkaOffsetResetTarget] = []
            if toEarliest { targets.append(.earliest) }
            if toLatest { targets.append(.latest) }
            if let toOffset { targets.append(.offset(toOffset)) }
            if let toTime {
                do throws(KafkaTimeArgument.Problem) {
                    targets.append(.timestamp(try KafkaTimeArgument.milliseconds(toTime, now: now)))
                } catch {
                    throw ValidationError("bad --to-time: \(error.description)")
                }
            }
            if let shiftBy { targets.append(.shift(shiftBy)) }
            guard targets.count == 1 else {
                throw ValidationError("say where to move the offsets, once: --to-earliest, --to-latest, --to-offset N, --to-time TIME or --shift-by N")
            }
            return targets[0]
        }

        func validate() throws {
            if group.isEmpty { throw ValidationError("the group name is empty") }
            if topics.isEmpty == !allTopics { throw ValidationError("say which partitions: --topic TOPIC[:PARTITION,...] (repeatable) or --all-topics") }
            _ = try parseTopicPartitions(topics, option: "--topic")
            if let toOffset, toOffset < 0 { throw ValidationError("--to-offset must be 0 or more") }
            _ = try target(now: 0)
        }

        func run() async throws {
            try await reportingFailures {
                let admin = try connection.adminClient()
                let partitions = allTopics
                    ? try await admin.listConsumerGroupOffsets(group: group, timeout: request.duration)
                    : try await resolvePartitions(parseTopicPartitions(topics, option: "--topic"), admin: admin, timeout: request.duration)
                if partitions.isEmpty { throw CLIFailure.kafka("group \(group) has no committed offsets (--all-topics found no partition)") }
                let plan = try await admin.planOffsetReset(
                    group: group, partitions: partitions, to: target(now: Int64(Date().timeIntervalSince1970 * 1000)), timeout: request.duration)
                if execute { try await admin.resetOffsets(plan, timeout: request.duration) }
                if output.isJSON {
                    printJSON([
                        "group": .string(group), "target": .string(plan.target.description), "executed": .bool(execute),
                        "partitions": .array(plan.entries.map { e in
                            [
                                "topic": .string(e.topic), "partition": .number(e.partition), "current": .number(e.current),
                                "earliest": .number(e.earliest), "latest": .number(e.latest), "new": .number(e.target), "clamped": .bool(e.wasClamped),
                            ]
                        }),
                    ])
                } else {
                    printTable(["TOPIC", "PARTITION", "CURRENT", "EARLIEST", "LATEST", "NEW"], plan.entries.map { e in
                        [e.topic, String(e.partition), e.current.map(String.init) ?? "-", String(e.earliest), String(e.latest),
                         String(e.target) + (e.wasClamped ? "*" : "")]
                    })
                }
                if plan.entries.contains(where: \.wasClamped) { connection.note("* the offset asked for lies outside EARLIEST..LATEST: moved to the nearer end") }
                connection.note(execute
                    ? "group \(group): offsets of \(plan.entries.count) partition\(plan.entries.count == 1 ? "" : "s") reset to \(plan.target)"
                    : "dry run, nothing changed: add --execute to commit these offsets")
            }
        }
    }
}
