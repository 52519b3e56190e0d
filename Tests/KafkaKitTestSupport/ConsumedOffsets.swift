/// The offsets a group consumer was handed, per partition.
///
/// A consumer group promises at-least-once delivery: a rebalance or a coordinator move may
/// hand out again records whose offsets were not yet committed. So a test reads until each
/// partition's *distinct* offsets reach what was produced, and compares those; the repeats
/// are counted, not failed.
public struct ConsumedOffsets: Sendable {
    public private(set) var offsets: [Int32: Set<Int64>] = [:]
    /// Records handed out again (an offset already seen).
    public private(set) var repeats = 0
    /// Every record handed out, repeats included.
    public private(set) var total = 0

    public init() {}

    public mutating func record(partition: Int32, offset: Int64) {
        total += 1
        if offsets[partition, default: []].insert(offset).inserted == false { repeats += 1 }
    }

    /// Whether each of `partitions` has at least `perPartition` distinct offsets.
    public func hasAtLeast(_ perPartition: Int, in partitions: Range<Int32>) -> Bool {
        partitions.allSatisfy { (offsets[$0]?.count ?? 0) >= perPartition }
    }

    /// The distinct offsets of `partition`, in order.
    public func sorted(_ partition: Int32) -> [Int64] {
        (offsets[partition] ?? []).sorted()
    }

    /// Every distinct offset, all partitions together.
    public var distinctCount: Int { offsets.values.reduce(0) { $0 + $1.count } }

    /// A line for the test log when records were handed out again.
    public var repeatNote: String? {
        repeats == 0 ? nil : "\(repeats) of \(total) records were handed out again (allowed: at-least-once)"
    }
}
