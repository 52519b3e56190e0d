/// The bookkeeping of ``RDKafkaBlockingExecutor``: jobs waiting for a thread, threads started
/// and idle, and submitted (fire-and-forget) jobs not yet finished.
///
/// A value type the executor keeps behind its mutex. Every transition returns what to do once
/// the lock is released — start a thread, wake one, signal the exit drain — so no thread is
/// started, woken or waited for while the lock is held.
struct RDKafkaBlockingExecutorState<Job> {
    /// What a submitter does once its job is queued.
    enum SubmitAction: Equatable {
        /// Start a new pool thread (the count has already been raised).
        case startThread
        /// Wake one idle thread (it has already been counted as no longer idle).
        case wakeThread
        /// Every thread is busy and the pool is at its bound: a busy thread takes the job next.
        case none
    }

    /// What a free pool thread does next.
    enum NextAction {
        case run(Job)
        /// Nothing queued: sleep until woken (the thread has been counted as idle).
        case wait
    }

    /// What a thread that finished a submitted job does about a waiting exit drain.
    enum FinishAction: Equatable {
        case signalDrained
        case none
    }

    /// What the exit drain does.
    enum DrainAction: Equatable {
        /// No submitted job is left.
        case done
        /// Wait for ``FinishAction/signalDrained``.
        case wait
    }

    let maxThreads: Int
    /// Threads started so far (they never end).
    private(set) var threads = 0
    /// Threads that have committed to sleep and have not been claimed by a submitter.
    private(set) var idleThreads = 0
    /// Submitted jobs queued or running: what the exit drain waits for.
    private(set) var unfinishedSubmitted = 0
    private var drainWaiting = false
    /// The FIFO of queued jobs: `jobs[head...]`.
    private var jobs: [Job?] = []
    private var head = 0

    init(maxThreads: Int) {
        precondition(maxThreads > 0, "a blocking executor needs at least one thread")
        self.maxThreads = maxThreads
    }

    /// Jobs waiting for a thread.
    var queued: Int { jobs.count - head }

    /// Queues a job. `submitted`: fire-and-forget, so the exit drain waits for it.
    mutating func submit(_ job: Job, submitted: Bool) -> SubmitAction {
        jobs.append(job)
        if submitted { unfinishedSubmitted += 1 }
        if idleThreads > 0 {
            idleThreads -= 1
            return .wakeThread
        }
        if threads < maxThreads {
            threads += 1
            return .startThread
        }
        return .none
    }

    /// The next job for a free thread, oldest first.
    mutating func next() -> NextAction {
        guard head < jobs.count else {
            idleThreads += 1
            return .wait
        }
        let job = jobs[head].take()!
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return .run(job)
    }

    /// A job has run to its end, and what it captured has been released.
    mutating func finished(submitted: Bool) -> FinishAction {
        guard submitted else { return .none }
        unfinishedSubmitted -= 1
        if unfinishedSubmitted == 0, drainWaiting {
            drainWaiting = false
            return .signalDrained
        }
        return .none
    }

    /// The exit drain asks whether it must wait.
    mutating func drain() -> DrainAction {
        guard unfinishedSubmitted > 0 else { return .done }
        drainWaiting = true
        return .wait
    }

    /// The exit drain stopped waiting (drained or timed out).
    mutating func drainEnded() {
        drainWaiting = false
    }
}
