import Dispatch
import Foundation
import Synchronization

/// The one place blocking librdkafka calls run — flush, close, commit, committed, seek,
/// watermarks, metadata, consume_stop and `rd_kafka_destroy` — on a bounded pool of threads of
/// its own, never on the cooperative pool.
///
/// Threads are started lazily, one whenever a job finds none idle, up to
/// ``defaultMaxThreads``; they live for the process. Beyond the bound, jobs queue in order:
/// a thousand concurrent commits use eight threads, not a thousand. (Waits that librdkafka can
/// signal — partition consumer reads, admin results — do not come here at all: they suspend on
/// an ``RDKafkaQueueWaiter``.)
///
/// No deadlock: a job never waits for another job of the pool. Every job is one librdkafka call
/// (or a few), which waits only for librdkafka's own threads, for the broker, or for KafkaKit's
/// dedicated threads (the producer's poller, the consumer's waker) — none of which waits for
/// the pool — or, for a second concurrent consumer close, for the first one, which is already
/// running. A client released on a pool thread is destroyed right there, not submitted again;
/// the only synchronous wait for pool work is the exit drain, which a pool thread never does.
/// A slow job (a flush with a long timeout, a close against a dead broker) can delay the jobs
/// queued behind it, never block them for ever: each call has its own timeout.
///
/// Process exit: ``submit(_:)`` is fire-and-forget (a client's `rd_kafka_destroy`, a partition
/// consumer's final stops). So that `exit()` never runs while one of them is half done — the
/// cause of a SIGSEGV at exit seen when a helper thread destroyed a client — the shared
/// executor waits at exit (`atexit`, registered when the first client is created, after
/// librdkafka initialised) for submitted jobs to finish, up to ``exitDrainTimeout``. Awaited
/// jobs (``run(_:)``) are not waited for: their callers are cut short by the exit anyway.
final class RDKafkaBlockingExecutor: Sendable {
    /// Eight: blocking calls are broker round trips or bounded waits, so a few threads keep
    /// many callers moving; more would only multiply idle stacks.
    static let defaultMaxThreads = 8
    /// How long exit waits for submitted jobs (a destroy normally takes milliseconds).
    static let exitDrainTimeout: DispatchTimeInterval = .seconds(10)

    /// The executor every blocking call of KafkaKit uses. It waits at exit for submitted jobs.
    static let shared: RDKafkaBlockingExecutor = {
        let executor = RDKafkaBlockingExecutor(maxThreads: defaultMaxThreads, name: "KafkaKit.exec")
        atexit { _ = RDKafkaBlockingExecutor.shared.drain(timeout: RDKafkaBlockingExecutor.exitDrainTimeout) }
        return executor
    }()

    private let state: Mutex<RDKafkaBlockingExecutorState<RDKafkaBlockingJob>>
    /// Idle threads sleep here; one signal per ``RDKafkaBlockingExecutorState/SubmitAction/wakeThread``.
    private let wakeups = DispatchSemaphore(value: 0)
    private let drained = DispatchSemaphore(value: 0)
    private let name: String

    /// `name` and a thread number name each thread (Linux keeps 15 characters).
    init(maxThreads: Int, name: String) {
        state = Mutex(RDKafkaBlockingExecutorState(maxThreads: maxThreads))
        self.name = name
    }

    /// Runs `body` on a pool thread and returns its result. The pool thread lets go of `body`,
    /// and of what it captured, before the caller resumes (see ``RDKafkaBlockingWork``).
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let work = RDKafkaBlockingWork(body)
            enqueue(RDKafkaBlockingJob { continuation.resume(returning: work.run()) }, submitted: false)
        }
    }

    /// Runs `body` on a pool thread without waiting for it; the exit drain waits for it.
    func submit(_ body: @escaping @Sendable () -> Void) {
        enqueue(RDKafkaBlockingJob(body), submitted: true)
    }

    /// Whether the calling thread is a thread of a blocking executor.
    static var isPoolThread: Bool { pthread_getspecific(poolThreadKey) != nil }

    /// Waits until every submitted job has finished, or `timeout`; `true` if they all have.
    /// On a pool thread it does not wait (it would wait for itself) and returns `false`.
    func drain(timeout: DispatchTimeInterval) -> Bool {
        guard !Self.isPoolThread else { return false }
        guard state.withLock({ $0.drain() }) == .wait else { return true }
        let done = drained.wait(timeout: .now() + timeout) == .success
        if !done { state.withLock { $0.drainEnded() } }
        return done
    }

    /// Threads started so far (for tests and diagnostics).
    var threadCount: Int { state.withLock { $0.threads } }

    private func enqueue(_ job: RDKafkaBlockingJob, submitted: Bool) {
        job.submitted = submitted
        let (action, number) = state.withLock { state in (state.submit(job, submitted: submitted), state.threads) }
        switch action {
        case .startThread: startThread(number: number)
        case .wakeThread: wakeups.signal()
        case .none: break
        }
    }

    private func startThread(number: Int) {
        let name = "\(self.name) \(number)"
        Thread { [self] in
            Thread.current.name = name  // for thread dumps; set from inside, as Linux wants
            pthread_setspecific(poolThreadKey, UnsafeRawPointer(bitPattern: 1))
            serve()
        }.start()
    }

    private func serve() {
        while true {
            switch state.withLock({ $0.next() }) {
            case .run(let job):
                let submitted = job.submitted
                job.run()  // releases the job's body, and what it captured, before returning
                if state.withLock({ $0.finished(submitted: submitted) }) == .signalDrained { drained.signal() }
            case .wait:
                wakeups.wait()
            }
        }
    }
}

/// Marks pool threads (any executor's): a client released there is destroyed in place.
private let poolThreadKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "cannot create a thread-specific key")
    return key
}()

/// A queued job: its body is taken and released by the one thread that runs it.
///
/// `@unchecked Sendable`: `body` and `submitted` are written before the job is queued (under
/// the executor's lock) and read by the one thread that dequeues it.
final class RDKafkaBlockingJob: @unchecked Sendable {
    private var body: (@Sendable () -> Void)?
    var submitted = false

    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    func run() {
        let body = self.body.take()
        body?()
    }
}
