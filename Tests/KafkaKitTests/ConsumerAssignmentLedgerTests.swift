import Testing

@testable import KafkaKit

@Suite("Consumer assignment ledger (no broker)")
struct ConsumerAssignmentLedgerTests {
    typealias Partition = ConsumerAssignmentLedger.Partition
    let p0 = Partition(topic: "orders", partition: 0)
    let p1 = Partition(topic: "orders", partition: 1)

    @Test("a record taken before its partition's revocation is stale; other partitions' are not")
    func revocationMakesStale() {
        var ledger = ConsumerAssignmentLedger()
        let taken = ledger.version
        #expect(!ledger.wasRevoked(p0, since: taken))
        ledger.revoke([p0])
        #expect(ledger.wasRevoked(p0, since: taken))
        #expect(!ledger.wasRevoked(p1, since: taken))
    }

    @Test("a record taken after the revocation (the partition came back) is not stale")
    func reassignedIsFresh() {
        var ledger = ConsumerAssignmentLedger()
        ledger.revoke([p0, p1])
        let takenAfter = ledger.version
        #expect(!ledger.wasRevoked(p0, since: takenAfter))
        ledger.revoke([p1])
        #expect(!ledger.wasRevoked(p0, since: takenAfter))
        #expect(ledger.wasRevoked(p1, since: takenAfter))
    }

    @Test("topics are told apart by name")
    func topicsApart() {
        var ledger = ConsumerAssignmentLedger()
        ledger.revoke([Partition(topic: "payments", partition: 0)])
        #expect(!ledger.wasRevoked(p0, since: 0))
        #expect(ledger.wasRevoked(Partition(topic: "payments", partition: 0), since: 0))
    }
}
