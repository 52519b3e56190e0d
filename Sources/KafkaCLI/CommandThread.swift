import Dispatch
import Foundation
import Synchronization

/// A thread of the command's own, as a task executor: `kafka consume` prints on it,
/// `kafka produce` sends on it.
///
/// A task that prefers it runs here whole — the consumer's own reading included, all
/// nonisolated code — and the thread runs out of work exactly when the task waits. Each time
/// it does, before it sleeps, it calls ``idle`` (consume writes out its output there): records
/// reach a pipe as soon as nothing more is ready, with no timer. Produce may block here in
/// librdkafka while its queue is full, which a thread of the cooperative pool must not.
final class CommandThread: TaskExecutor, Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var sleeping = false
        /// ``wakeIdle()`` came while ``idle`` ran or the thread was about to sleep.
        var idleAgain = false
        var idle: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let box = ThreadBox()

    init() {
        let box = self.box
        let thread = Thread { box.owner!.runJobs() }
        thread.name = "kafka.command"
        box.thread = thread
        box.owner = self
        thread.start()
    }

    /// Called on this thread whenever it has run every job it was given.
    var idle: (@Sendable () -> Void)? {
        get { state.withLock { $0.idle } }
        set { state.withLock { $0.idle = newValue } }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let sleeping = state.withLock { s -> Bool in
            s.jobs.append(job)
            defer { s.sleeping = false }
            return s.sleeping
        }
        if sleeping { wake.signal() }
    }

    /// Has the thread call ``idle`` again once it has nothing to do.
    func wakeIdle() {
        let sleeping = state.withLock { s -> Bool in
            s.idleAgain = true
            defer { s.sleeping = false }
            return s.sleeping
        }
        if sleeping { wake.signal() }
    }

    /// Whether the caller runs on this thread.
    var isCurrent: Bool { Thread.current === box.thread }

    /// Never returns: the thread serves the command until the process ends.
    private func runJobs() {
        var batch: [UnownedJob] = []
        while true {
            state.withLock { swap(&batch, &$0.jobs) }
            if batch.isEmpty {
                idle?()
                let sleep = state.withLock { s -> Bool in
                    guard s.jobs.isEmpty, !s.idleAgain else {
                        s.idleAgain = false
                        return false
                    }
                    s.sleeping = true
                    return true
                }
                if sleep { wake.wait() }
                continue
            }
            for job in batch {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

/// The thread and its executor, each set once before the thread starts (`Thread.start`
/// orders the writes before the thread's reads); afterwards only read, and the thread only
/// compared by identity.
private final class ThreadBox: @unchecked Sendable {
    var thread: Thread?
    var owner: CommandThread?
}
