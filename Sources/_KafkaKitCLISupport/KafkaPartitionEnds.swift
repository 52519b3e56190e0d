/// When `kafka consume` is done: with `--exit-at-end`, once every partition it reads has
/// reached its end; with `--until`, once every one has reached a record at or after that time
/// (either, for each partition, when both are given). A value-type state machine fed with the
/// consumer's events; the caller stops reading when an input returns ``Action/stop``.
///
/// In a group the partitions come and go: an assigned partition starts not done (even one
/// that was done before it was revoked), a revoked or lost one no longer counts. An empty
/// assignment is never done: the group is still rebalancing, or gave this member nothing.
/// "Its end" is the end when the consumer reached it: records appended to a partition after
/// its end was reported do not make it count as unfinished again.
public struct KafkaPartitionEnds: Sendable {
    public enum Action: Sendable, Equatable {
        case none
        /// Every assigned partition is done: stop reading (returned once).
        case stop
    }

    private struct Partition {
        var atEnd = false
        var pastUntil = false
    }

    private let exitAtEnd: Bool
    private var partitions: [Int32: Partition] = [:]
    private var stopped = false

    /// - Parameter exitAtEnd: whether the end of a partition finishes it (`--exit-at-end`);
    ///   otherwise only ``reachedUntil(_:)`` does.
    public init(exitAtEnd: Bool) {
        self.exitAtEnd = exitAtEnd
    }

    /// Partitions now assigned (added to those held; each starts not done).
    public mutating func assigned(_ added: [Int32]) -> Action {
        for p in added { partitions[p] = Partition() }
        return check()
    }

    /// Partitions taken away (revoked or lost).
    public mutating func revoked(_ removed: [Int32]) -> Action {
        for p in removed { partitions[p] = nil }
        return check()
    }

    /// The consumer reached the end of `partition`.
    public mutating func reachedEnd(_ partition: Int32) -> Action {
        guard partitions[partition] != nil else { return .none }
        partitions[partition]!.atEnd = true
        return check()
    }

    /// A record of `partition` is at or after `--until`: the partition is finished.
    public mutating func reachedUntil(_ partition: Int32) -> Action {
        guard partitions[partition] != nil else { return .none }
        partitions[partition]!.pastUntil = true
        return check()
    }

    /// Whether `partition` is assigned and finished.
    public func isDone(_ partition: Int32) -> Bool {
        partitions[partition].map(isDone) ?? false
    }

    private func isDone(_ p: Partition) -> Bool { p.pastUntil || (exitAtEnd && p.atEnd) }

    private mutating func check() -> Action {
        guard !stopped, !partitions.isEmpty, partitions.values.allSatisfy(isDone) else { return .none }
        stopped = true
        return .stop
    }
}
