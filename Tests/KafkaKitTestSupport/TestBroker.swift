import Foundation

/// The broker integration tests run against: `KAFKA_BOOTSTRAP_SERVERS` (set by `make test`).
/// Without it the integration suites are skipped — except under `CI=true`, where they run and
/// fail, because a CI run without a broker proves nothing.
public enum TestBroker {
    public static var bootstrapServers: String? {
        ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether integration suites should run.
    public static var shouldRun: Bool { bootstrapServers != nil || isRequired }

    /// The servers, or an error when none is configured.
    public static func servers() throws -> String {
        guard let servers = bootstrapServers else { throw TestBrokerMissing() }
        return servers
    }

    /// A topic name no other test uses.
    public static func freshTopic(_ prefix: String = "test") -> String {
        "\(prefix)-\(UUID().uuidString.lowercased())"
    }
}

public struct TestBrokerMissing: Error, CustomStringConvertible {
    public var description: String {
        "CI=true but KAFKA_BOOTSTRAP_SERVERS is not set: integration tests need the local broker (make test starts it)"
    }
}

/// Fails instead of hanging when `body` does not finish within `seconds`.
public func withDeadline<T: Sendable>(
    seconds: Double,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw DeadlineExceeded(seconds: seconds)
        }
        group.cancelAll()
        return value
    }
}

public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let seconds: Double
    public init(seconds: Double) { self.seconds = seconds }
    public var description: String { "did not finish within \(seconds) s" }
}

/// Java's murmur2 (as in `org.apache.kafka.common.utils.Utils.murmur2`) and the partition the
/// Java client's default partitioner picks for a key.
public enum JavaPartitioner {
    public static func murmur2(_ data: [UInt8]) -> Int32 {
        let seed: UInt32 = 0x9747_b28c
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        let length = data.count
        var h: UInt32 = seed ^ UInt32(truncatingIfNeeded: length)
        let length4 = length / 4
        for i in 0..<length4 {
            let i4 = i * 4
            var k = UInt32(data[i4]) | UInt32(data[i4 + 1]) << 8 | UInt32(data[i4 + 2]) << 16 | UInt32(data[i4 + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = length4 * 4
        switch length % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            fallthrough
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            fallthrough
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    public static func partition(forKey key: [UInt8], partitionCount: Int32) -> Int32 {
        (murmur2(key) & 0x7fff_ffff) % partitionCount
    }
}
