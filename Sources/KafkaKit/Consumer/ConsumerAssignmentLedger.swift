/// Which partitions were taken away from this consumer, and when, so that records read
/// before a revocation are never committed or stored after it: they belong to the new owner,
/// which reads them again from the group's committed offset.
///
/// Time is a version: every revocation (or loss) of partitions advances it. A batch of records
/// remembers the version when it was taken; a record of a partition revoked at a later
/// version is stale. A pure value, kept behind the consumer's callbacks' `Mutex`.
struct ConsumerAssignmentLedger: Sendable {
    struct Partition: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    /// Advanced by every revocation.
    private(set) var version: UInt64 = 0
    /// The version of the latest revocation of each partition ever revoked (bounded by the
    /// partitions this consumer ever had).
    private var revokedAt: [Partition: UInt64] = [:]

    /// `partitions` are revoked (or lost) now.
    mutating func revoke(_ partitions: some Sequence<Partition>) {
        version += 1
        for partition in partitions { revokedAt[partition] = version }
    }

    /// Whether `partition` was revoked after `version` (a record taken then is stale).
    func wasRevoked(_ partition: Partition, since version: UInt64) -> Bool {
        (revokedAt[partition] ?? 0) > version
    }
}
