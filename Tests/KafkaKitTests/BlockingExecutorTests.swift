import Foundation
import KafkaKitTestSupport
import Synchronization
import Testing

@testable import KafkaKit

/// The blocking executor with real threads (no broker).
@Suite("Blocking executor")
struct BlockingExecutorTests {
    @Test("a thousand concurrent blocking calls run on at most the bound's threads, none on the caller's")
    func bounded() async throws {
        let executor = RDKafkaBlockingExecutor(maxThreads: 4, name: "test.bounded")
        let seen = SeenThreads()
        let results = try await withDeadline(seconds: 60) {
            await withTaskGroup(of: Int.self) { group in
                for i in 0..<1000 {
                    group.addTask {
                        await executor.run {
                            seen.record()
                            usleep(200)  // a blocking call
                            return i
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(results.sorted() == Array(0..<1000))
        #expect(executor.threadCount <= 4)
        #expect(seen.threads.count <= 4)
        #expect(seen.onPool == 1000)
    }

    @Test("a blocking call's pool thread holds nothing of it once the caller resumes")
    func bodyReleasedBeforeResume() async {
        let executor = RDKafkaBlockingExecutor(maxThreads: 2, name: "test.release")
        let log = ReleaseLog()
        func body() -> @Sendable () -> Int {
            let canary = Canary(log)  // only the body holds it
            return { canary.value }
        }
        for _ in 0..<50 {
            let value = await executor.run(body())
            #expect(value == 42)
            // The pool let go before resuming; the caller's own reference went with the statement.
            #expect(log.releases == log.runs + 1, "released before the caller went on")
            log.ran()
        }
    }

    @Test("submitted jobs run without a caller waiting, and the drain waits for them")
    func submitAndDrain() async throws {
        let executor = RDKafkaBlockingExecutor(maxThreads: 3, name: "test.drain")
        let done = SeenThreads()
        for _ in 0..<30 {
            executor.submit {
                usleep(5_000)
                done.record()
            }
        }
        let drained = await Task.detached { executor.drain(timeout: .seconds(30)) }.value
        #expect(drained)
        #expect(done.onPool == 30)
        #expect(executor.threadCount <= 3)
    }

    @Test("the drain does not wait on a pool thread (it would wait for itself)")
    func noDrainOnPool() async {
        let executor = RDKafkaBlockingExecutor(maxThreads: 1, name: "test.self")
        let drained = await executor.run {
            executor.submit {}
            return executor.drain(timeout: .seconds(30))
        }
        #expect(!drained)
        #expect(await Task.detached { executor.drain(timeout: .seconds(30)) }.value)
    }

    @Test("a test's deadline fails it on time even when a blocking call ignores cancellation")
    func deadlineDoesNotWaitForBlockingCall() async throws {
        let executor = RDKafkaBlockingExecutor(maxThreads: 1, name: "test.stuck")
        let finished = SeenThreads()
        let release = DispatchSemaphore(value: 0)
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(seconds: 0.5) {
                await executor.run {
                    release.wait()  // deaf to cancellation, like any blocking librdkafka call
                    finished.record()
                }
            }
        }
        #expect(finished.onPool == 0, "the deadline came first; the call is still running")
        release.signal()
    }

    @Test("clients released on the cooperative pool are destroyed by the shared executor, which drains them")
    func clientsDestroyedOnPool() async throws {
        for _ in 0..<10 {
            _ = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"]))
        }
        let drained = await Task.detached { RDKafkaBlockingExecutor.shared.drain(timeout: .seconds(30)) }.value
        #expect(drained)
        #expect(RDKafkaBlockingExecutor.shared.threadCount <= RDKafkaBlockingExecutor.defaultMaxThreads)
    }
}

/// The threads blocking calls ran on, and how many calls ran on a pool thread.
final class SeenThreads: Sendable {
    private let state = Mutex((threads: Set<UInt>(), onPool: 0))
    var threads: Set<UInt> { state.withLock { $0.threads } }
    var onPool: Int { state.withLock { $0.onPool } }

    func record() {
        #if canImport(Darwin)
        let thread = UInt(bitPattern: pthread_self())
        #else
        let thread = UInt(pthread_self())
        #endif
        let onPool = RDKafkaBlockingExecutor.isPoolThread
        state.withLock {
            $0.threads.insert(thread)
            if onPool { $0.onPool += 1 }
        }
    }
}

/// Counts how often a body ran and its captures were released.
final class ReleaseLog: Sendable {
    private let counts = Mutex((runs: 0, releases: 0))
    var runs: Int { counts.withLock { $0.runs } }
    var releases: Int { counts.withLock { $0.releases } }
    func ran() { counts.withLock { $0.runs += 1 } }
    func released() { counts.withLock { $0.releases += 1 } }
}

final class Canary: Sendable {
    let log: ReleaseLog
    let value = 42
    init(_ log: ReleaseLog) { self.log = log }
    deinit { log.released() }
}
