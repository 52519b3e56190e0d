import Synchronization
import _KafkaKitCLISupport

/// ``KafkaPartitionEnds`` behind a lock, shared by `kafka consume`'s event watcher (assigned,
/// revoked, end of partition) and its print loop (`--until` reached).
final class ConsumeEnds: Sendable {
    private let state: Mutex<KafkaPartitionEnds>

    init(exitAtEnd: Bool) {
        state = Mutex(KafkaPartitionEnds(exitAtEnd: exitAtEnd))
    }

    /// Whether to stop reading now.
    func assigned(_ partitions: [Int32]) -> Bool { state.withLock { $0.assigned(partitions) } == .stop }

    func revoked(_ partitions: [Int32]) -> Bool { state.withLock { $0.revoked(partitions) } == .stop }

    func reachedEnd(_ partition: Int32) -> Bool { state.withLock { $0.reachedEnd(partition) } == .stop }

    /// Whether `partition` was not finished before (pause it), and whether to stop now.
    func reachedUntil(_ partition: Int32) -> (newlyFinished: Bool, stop: Bool) {
        state.withLock { ends in
            let before = ends.isDone(partition)
            let action = ends.reachedUntil(partition)
            return (!before && ends.isDone(partition), action == .stop)
        }
    }
}
