import ArgumentParser
import KafkaKit
import KafkaKitEvents

/// What `groups describe` and `groups lag` show of a group: its description (when the
/// cluster gives one) and, per partition, the committed offset, the end and the lag.
struct GroupLag {
    struct Row {
        var topic: String
        var partition: Int32
        var committed: Int64?
        var end: Int64?
        /// The member the partition is assigned to.
        var owner: KafkaConsumerGroupDescription.Member?

        /// Records written after the committed offset; `nil` without a committed offset.
        var lag: Int64? {
            guard let committed, let end else { return nil }
            return max(0, end - committed)
        }
    }

    var group: String
    var description: KafkaConsumerGroupDescription?
    var rows: [Row]

    /// The sum of the partitions' lags.
    var totalLag: Int64 { rows.compactMap(\.lag).reduce(0, +) }

    /// Describes the groups, reads their committed offsets and the partitions' ends.
    /// A cluster that cannot describe groups leaves their descriptions out (a note says so).
    static func load(_ groups: [String], admin: KafkaAdminClient, timeout: Duration, note: (String) -> Void) async throws -> [GroupLag] {
        var descriptions: [String: KafkaConsumerGroupDescription] = [:]
        do {
            for d in try await admin.describeConsumerGroups(groups, timeout: timeout) { descriptions[d.groupID] = d }
        } catch let error as KafkaError where error.code == .unsupportedFeature {
            note("the cluster does not describe groups (\(error.message)): state and members unknown")
        }
        var committed: [String: [KafkaTopicPartition]] = [:]
        for group in groups { committed[group] = try await admin.listConsumerGroupOffsets(group: group, timeout: timeout) }
        var partitions: [KafkaTopicPartition] = []
        for group in groups {
            let assigned = descriptions[group]?.members.flatMap(\.assignment) ?? []
            for p in committed[group]! + assigned {
                let bare = KafkaTopicPartition(topic: p.topic, partition: p.partition)
                if !partitions.contains(bare) { partitions.append(bare) }
            }
        }
        let ends = partitions.isEmpty ? [] : try await admin.listOffsets(partitions, query: .latest, timeout: timeout)
        return groups.map { group in
            let description = descriptions[group]
            var rows: [Row] = []
            var seen = Set<KafkaTopicPartition>()
            for p in committed[group]! + (description?.members.flatMap(\.assignment) ?? []) {
                let bare = KafkaTopicPartition(topic: p.topic, partition: p.partition)
                guard seen.insert(bare).inserted else { continue }
                rows.append(Row(
                    topic: p.topic, partition: p.partition,
                    committed: committed[group]!.first { $0.topic == p.topic && $0.partition == p.partition }?.offset,
                    end: ends.first { $0.topic == p.topic && $0.partition == p.partition }?.offset,
                    owner: description?.member(assigned: p.topic, partition: p.partition)))
            }
            rows.sort { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
            return GroupLag(group: group, description: description, rows: rows)
        }
    }
}

extension Groups {
    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A group's state, protocol and members, and per partition its committed offset, the end, and the lag.",
            discussion: """
                Members show their client ID, host and assigned partitions. LAG is END minus \
                COMMITTED ('-' where the group has committed nothing). \
                JSON: {"group","state","type","assignor","coordinator","members":[{"member_id", \
                "instance_id","client_id","host","assignment":[{"topic","partition"}]}], \
                "partitions":[{"topic","partition","committed","end","lag","client_id"}],"lag"}. \
                On Tansu 0.6.0 the end offset counts record batches, not records (so does the lag), \
                and groups are described without their members; librdkafka's mock cluster \
                describes no group at all (the offsets are still shown).
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: "The group.") var group: String

        func validate() throws {
            if group.isEmpty { throw ValidationError("the group name is empty") }
        }

        func run() async throws {
            try await reportingFailures {
                let admin = try connection.adminClient()
                let lag = try await GroupLag.load([group], admin: admin, timeout: request.duration, note: connection.note)[0]
                if output.isJSON { printJSON(json(lag)) } else { printText(lag) }
            }
        }

        func json(_ lag: GroupLag) -> KafkaJSON {
            let d = lag.description
            return [
                "group": .string(group), "state": .text(d?.state), "type": .text(d?.type), "assignor": .text(d?.partitionAssignor),
                "coordinator": .number(d?.coordinatorID),
                "members": .array((d?.members ?? []).map { m in
                    [
                        "member_id": .string(m.memberID), "instance_id": .text(m.groupInstanceID), "client_id": .string(m.clientID),
                        "host": .string(m.host),
                        "assignment": .array(m.assignment.map { ["topic": .string($0.topic), "partition": .number($0.partition)] }),
                    ]
                }),
                "partitions": .array(lag.rows.map { r in
                    [
                        "topic": .string(r.topic), "partition": .number(r.partition), "committed": .number(r.committed),
                        "end": .number(r.end), "lag": .number(r.lag), "client_id": .text(r.owner?.clientID),
                    ]
                }),
                "lag": .number(lag.totalLag),
            ]
        }

        func printText(_ lag: GroupLag) {
            print("Group:       \(group)")
            if let d = lag.description {
                print("State:       \(d.state)")
                print("Type:        \(d.type)")
                print("Assignor:    \(d.partitionAssignor.isEmpty ? "-" : d.partitionAssignor)")
                print("Coordinator: \(d.coordinatorID.map(String.init) ?? "-")")
                print("Members:     \(d.members.count)")
                if !d.members.isEmpty {
                    printTable(["MEMBER-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"], d.members.map { m in
                        [m.memberID, m.clientID, m.host, m.assignment.isEmpty ? "-" : m.assignment.map(\.description).joined(separator: ",")]
                    }, indent: "  ")
                }
            }
            print("Lag:         \(lag.totalLag)")
            if lag.rows.isEmpty {
                print("No committed offsets and no assigned partitions.")
                return
            }
            printTable(["TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "CLIENT-ID"], lag.rows.map { r in
                [r.topic, String(r.partition), r.committed.map(String.init) ?? "-", r.end.map(String.init) ?? "-",
                 r.lag.map(String.init) ?? "-", r.owner?.clientID ?? "-"]
            })
        }
    }

    struct Lag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each group's state, members, partitions with committed offsets, and total lag.",
            discussion: """
                Without GROUP, every group of the cluster. Text: a GROUP STATE MEMBERS PARTITIONS \
                LAG table. JSON: [{"group","state","members","partitions","lag"}] (state and \
                members null where the cluster does not describe groups).
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var request: RequestTimeoutOption
        @Argument(help: "The groups (default: all).") var groups: [String] = []

        func validate() throws {
            if groups.contains(where: \.isEmpty) { throw ValidationError("a group name is empty") }
        }

        func run() async throws {
            try await reportingFailures {
                let admin = try connection.adminClient()
                let names = groups.isEmpty ? try await admin.listConsumerGroups(timeout: request.duration).map(\.groupID) : groups
                let lags = names.isEmpty ? [] : try await GroupLag.load(names, admin: admin, timeout: request.duration, note: connection.note)
                if output.isJSON {
                    printJSON(.array(lags.map { l in
                        [
                            "group": .string(l.group), "state": .text(l.description?.state), "members": .number(l.description?.members.count),
                            "partitions": .number(l.rows.filter { $0.committed != nil }.count), "lag": .number(l.totalLag),
                        ]
                    }))
                    return
                }
                printTable(["GROUP", "STATE", "MEMBERS", "PARTITIONS", "LAG"], lags.map { l in
                    [l.group, l.description?.state ?? "-", l.description.map { String($0.members.count) } ?? "-",
                     String(l.rows.filter { $0.committed != nil }.count), String(l.totalLag)]
                })
            }
        }
    }
}
