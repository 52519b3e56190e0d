public import KafkaKit
import Synchronization

/// Delivery reports gathered by a producer's event handler (called on KafkaKit's threads).
public final class ReportLog: Sendable {
    private let storage = Mutex<[KafkaDeliveryReport]>([])
    public init() {}
    public func add(_ batch: [KafkaDeliveryReport]) { storage.withLock { $0 += batch } }
    public var all: [KafkaDeliveryReport] { storage.withLock { $0 } }
    public var count: Int { storage.withLock { $0.count } }
}
