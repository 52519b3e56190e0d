import Foundation
import Synchronization

/// The broker integration tests run against: `KAFKA_BOOTSTRAP_SERVERS` (set by `make test`).
/// Without it the integration suites are skipped — except under `CI=true`, where they run and
/// fail, because a CI run without a broker proves nothing.
public enum TestBroker {
    public static var bootstrapServers: String? {
        ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether the long runs are asked for (`make soak`, `KAFKAKIT_SOAK=1`): the fault tests
    /// then repeat more (20 kills instead of 5) and the soak suites run.
    public static var isSoak: Bool { ProcessInfo.processInfo.environment["KAFKAKIT_SOAK"] == "1" }

    /// How many times a kill-and-restart test kills its process: 20 in a soak, else 5.
    public static var kills: Int { isSoak ? 20 : 5 }

    /// Whether integration suites should run.
    public static var shouldRun: Bool { bootstrapServers != nil || isRequired }

    /// The servers, or an error when none is configured.
    public static func servers() throws -> String {
        guard let servers = bootstrapServers else { throw TestBrokerMissing() }
        return servers
    }

    /// What the deadlines of ``withDeadline(seconds:_:)`` and ``returnsWithin(seconds:_:)``
    /// are multiplied by: `KAFKAKIT_TEST_DEADLINE_SCALE`, 1 unless set. `make sanitize` sets
    /// it, as the sanitizers slow everything several times (group joins on the broker most).
    public static let deadlineScale: Double = {
        guard let text = ProcessInfo.processInfo.environment["KAFKAKIT_TEST_DEADLINE_SCALE"], let scale = Double(text), scale >= 1 else { return 1 }
        return scale
    }()

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

/// Fails instead of hanging when `body` does not finish within `seconds` (times
/// ``TestBroker/deadlineScale``).
///
/// The deadline does not wait for `body` to notice its cancellation: a body stuck in a call
/// that ignores cancellation is left to finish in the background, and the test fails on time.
public func withDeadline<T: Sendable>(
    seconds: Double,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, seconds: seconds, body)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The body and the deadline of ``withDeadline(seconds:_:)``, racing: the first to finish
/// resumes the caller and cancels the other.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
        var finished = false
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, seconds: Double, _ body: @escaping @Sendable () async throws -> T) {
        let cancelledAlready = state.withLock { state -> Bool in
            if state.finished { return true }  // the caller was cancelled before the race began
            state.continuation = continuation
            return false
        }
        if cancelledAlready {
            continuation.resume(throwing: CancellationError())
            return
        }
        // Unstructured, so the caller need not wait for a body that ignores cancellation;
        // `Task {}` keeps the test's task-local context, so issues are still attributed to it.
        let work = Task {
            do { finish(.success(try await body())) } catch { finish(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds * TestBroker.deadlineScale))
            finish(.failure(DeadlineExceeded(seconds: seconds * TestBroker.deadlineScale)))
        }
        let cancelNow = state.withLock { state -> Bool in
            state.tasks = [work, timer]
            return state.finished
        }
        if cancelNow { work.cancel(); timer.cancel() }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard !state.finished else { return (nil, []) }
            state.finished = true
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}

/// Fails with ``DeadlineExceeded`` if `body` has not returned within `seconds`, even if it
/// never returns. Unlike ``withDeadline(seconds:_:)`` the body is never cancelled: it runs
/// in its own task, left to finish in the background when the deadline comes first (for
/// calls that must return on their own, such as a producer's shutdown).
@discardableResult
public func returnsWithin<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
        let once = ResumeOnce(continuation)
        Task {
            do { once.resume(.success(try await body())) } catch { once.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds * TestBroker.deadlineScale))
            once.resume(.failure(DeadlineExceeded(seconds: seconds * TestBroker.deadlineScale)))
        }
    }
    return try result.get()
}

/// A continuation resumed by whichever comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<T, any Error>, Never>?>

    init(_ continuation: CheckedContinuation<Result<T, any Error>, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(returning: result)
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
