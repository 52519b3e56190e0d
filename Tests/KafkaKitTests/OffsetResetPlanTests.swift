import Testing

@testable import KafkaKit

/// The rule of an offset reset, without a cluster: what each target commits, and when it is
/// moved into the partition's range.
@Suite("Offset reset plans")
struct OffsetResetPlanTests {
    /// Partition 0: committed 5, holding 2..<10. Partition 1: nothing committed, holding 0..<4.
    let states = [
        KafkaOffsetResetPlan.PartitionState(topic: "t", partition: 1, current: nil, earliest: 0, latest: 4, atTimestamp: -1),
        KafkaOffsetResetPlan.PartitionState(topic: "t", partition: 0, current: 5, earliest: 2, latest: 10, atTimestamp: 7),
    ]

    func targets(_ target: KafkaOffsetResetTarget) throws -> [Int64] {
        try KafkaOffsetResetPlan(group: "g", target: target, states: states).entries.map(\.target)
    }

    @Test("earliest and latest take each partition's own ends; entries come by topic and partition")
    func ends() throws {
        let plan = try KafkaOffsetResetPlan(group: "g", target: .earliest, states: states)
        #expect(plan.entries.map(\.partition) == [0, 1])
        #expect(plan.entries.map(\.current) == [5, nil])
        #expect(try targets(.earliest) == [2, 0])
        #expect(try targets(.latest) == [10, 4])
        #expect(plan.entries.allSatisfy { !$0.wasClamped })
        #expect(plan.offsets == [KafkaTopicPartition(topic: "t", partition: 0, offset: 2), KafkaTopicPartition(topic: "t", partition: 1, offset: 0)])
    }

    @Test("an offset outside a partition's range moves to the nearer end, and says so")
    func clamped() throws {
        let plan = try KafkaOffsetResetPlan(group: "g", target: .offset(3), states: states)
        #expect(plan.entries.map(\.target) == [3, 3])
        #expect(plan.entries.map(\.wasClamped) == [false, false])
        let below = try KafkaOffsetResetPlan(group: "g", target: .offset(1), states: states)
        #expect(below.entries.map(\.target) == [2, 1])
        #expect(below.entries.map(\.wasClamped) == [true, false])
        let above = try KafkaOffsetResetPlan(group: "g", target: .offset(50), states: states)
        #expect(above.entries.map(\.target) == [10, 4])
        #expect(above.entries.map(\.wasClamped) == [true, true])
    }

    @Test("a time takes the offset found at it; a partition with nothing that recent goes to its end")
    func timestamp() throws {
        #expect(try targets(.timestamp(1_000)) == [7, 4])
    }

    @Test("a shift moves the committed offset, clamped; a partition with nothing committed is refused by name")
    func shift() throws {
        let committedOnly = [states[1]]
        #expect(try KafkaOffsetResetPlan(group: "g", target: .shift(-2), states: committedOnly).entries.map(\.target) == [3])
        #expect(try KafkaOffsetResetPlan(group: "g", target: .shift(-100), states: committedOnly).entries.map(\.target) == [2])
        #expect(try KafkaOffsetResetPlan(group: "g", target: .shift(.max), states: committedOnly).entries.map(\.target) == [10])
        #expect(try KafkaOffsetResetPlan(group: "g", target: .shift(.min), states: committedOnly).entries.map(\.target) == [2])
        let error = #expect(throws: KafkaError.self) { try KafkaOffsetResetPlan(group: "g", target: .shift(1), states: states) }
        #expect(error?.code == .invalidArgument && error?.message.contains("t[1]") == true, "\(String(describing: error))")
    }

    @Test("an empty partition (earliest == latest) resets to its one offset")
    func emptyPartition() throws {
        let empty = [KafkaOffsetResetPlan.PartitionState(topic: "e", partition: 0, current: 3, earliest: 3, latest: 3)]
        for target in [KafkaOffsetResetTarget.earliest, .latest, .offset(0), .offset(9), .shift(5), .timestamp(0)] {
            #expect(try KafkaOffsetResetPlan(group: "g", target: target, states: empty).entries.map(\.target) == [3], "\(target)")
        }
    }

    @Test("a group with members, or in a state other than Empty or Dead, is refused by name")
    func activeGroups() {
        func group(state: String, members: [KafkaConsumerGroupDescription.Member]) -> KafkaConsumerGroupDescription {
            KafkaConsumerGroupDescription(groupID: "g", state: state, type: "Classic", partitionAssignor: "range", isSimple: false, coordinatorID: 1, members: members)
        }
        let member = KafkaConsumerGroupDescription.Member(memberID: "m-1", clientID: "billing", host: "/10.0.0.1", assignment: [])
        #expect(KafkaAdminClient.activeGroupRefusal(group(state: "Empty", members: [])) == nil)
        #expect(KafkaAdminClient.activeGroupRefusal(group(state: "Dead", members: [])) == nil)
        let withMember = KafkaAdminClient.activeGroupRefusal(group(state: "Stable", members: [member]))
        #expect(withMember?.code.name == "NON_EMPTY_GROUP")
        #expect(withMember?.message.contains("billing at /10.0.0.1") == true, "\(String(describing: withMember))")
        // Described without its members (Tansu 0.6.0 does this) but Stable: still refused.
        let stable = KafkaAdminClient.activeGroupRefusal(group(state: "Stable", members: []))
        #expect(stable?.message.contains("is Stable") == true, "\(String(describing: stable))")
        #expect(KafkaAdminClient.activeGroupRefusal(group(state: "PreparingRebalance", members: [])) != nil)
    }
}
