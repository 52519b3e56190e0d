import ArgumentParser
import KafkaKit

/// `kafka groups list|describe GROUP`.
struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List consumer groups and show their offsets.", subcommands: [List.self, Describe.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every consumer group with its state.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await reportingFailures {
                for g in try await KafkaAdminClient(configuration: try connection.configuration()).listConsumerGroups() {
                    print("\(g.groupID)\t\(g.state)")
                }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A group's committed offsets, the partitions' ends, and the lag.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The group.") var group: String

        func validate() throws {
            if group.isEmpty { throw ValidationError("the group name is empty") }
        }

        func run() async throws {
            try await reportingFailures {
                let admin = try KafkaAdminClient(configuration: try connection.configuration())
                let committed = try await admin.listConsumerGroupOffsets(group: group)
                guard !committed.isEmpty else { throw CLIFailure.kafka("group \(group) has no committed offsets") }
                let ends = try await admin.listOffsets(committed, query: .latest)
                print("Group \(group):")
                print("TOPIC".padding(toLength: 32) + " PARTITION  COMMITTED        END        LAG")
                for c in committed {
                    let end = ends.first { $0.topic == c.topic && $0.partition == c.partition }?.offset ?? -1
                    let lag = end >= 0 ? String(max(0, end - c.offset)) : "-"
                    print(c.topic.padding(toLength: 32) + " " + pad(c.partition, 9) + " " + pad(c.offset, 10) + " " + pad(end, 10) + " " + lag.leftPadded(10))
                }
            }
        }

        func pad<T: BinaryInteger>(_ n: T, _ width: Int) -> String { String(n).leftPadded(width) }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
