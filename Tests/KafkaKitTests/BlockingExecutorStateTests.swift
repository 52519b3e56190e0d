import Testing

@testable import KafkaKit

/// The blocking executor's state machine, without threads.
@Suite("Blocking executor state")
struct BlockingExecutorStateTests {
    typealias State = RDKafkaBlockingExecutorState<String>

    @Test("threads start lazily, one per job that finds none idle, up to the bound; then jobs queue")
    func lazyBoundedStart() {
        var state = State(maxThreads: 2)
        #expect(state.threads == 0)
        #expect(state.submit("a", submitted: false) == .startThread)
        #expect(state.submit("b", submitted: false) == .startThread)
        #expect(state.submit("c", submitted: false) == .none)
        #expect(state.submit("d", submitted: false) == .none)
        #expect(state.threads == 2 && state.queued == 4)
    }

    @Test("an idle thread is woken instead of a new one started")
    func idleThreadReused() {
        var state = State(maxThreads: 8)
        #expect(state.submit("a", submitted: false) == .startThread)
        guard case .run("a") = state.next() else { Issue.record("the first job runs"); return }
        guard case .wait = state.next() else { Issue.record("nothing left: the thread waits"); return }
        #expect(state.idleThreads == 1)
        #expect(state.submit("b", submitted: false) == .wakeThread)
        #expect(state.threads == 1 && state.idleThreads == 0)
        guard case .run("b") = state.next() else { Issue.record("the woken thread runs the job"); return }
    }

    @Test("a woken thread that finds its job taken by a busy one sleeps again; nothing is lost")
    func wokenThreadFindsNothing() {
        var state = State(maxThreads: 2)
        _ = state.submit("a", submitted: false)
        _ = state.submit("b", submitted: false)
        _ = state.next()  // thread 1 runs a
        _ = state.next()  // thread 2 runs b
        guard case .wait = state.next() else { Issue.record("thread 1 idles"); return }
        #expect(state.submit("c", submitted: false) == .wakeThread)  // wakes thread 1 ...
        guard case .run("c") = state.next() else { Issue.record("... but thread 2, done, takes c"); return }
        guard case .wait = state.next() else { Issue.record("thread 1 finds nothing and sleeps again"); return }
        #expect(state.idleThreads == 1)
        #expect(state.submit("d", submitted: false) == .wakeThread)
    }

    @Test("jobs run in the order they were submitted, across the queue's compaction")
    func fifo() {
        var state = State(maxThreads: 1)
        var ran: [String] = []
        for round in 0..<3 {
            for i in 0..<150 { _ = state.submit("\(round)-\(i)", submitted: false) }
            for _ in 0..<100 { if case .run(let job) = state.next() { ran.append(job) } }
        }
        while case .run(let job) = state.next() { ran.append(job) }
        #expect(ran == (0..<3).flatMap { round in (0..<150).map { "\(round)-\($0)" } })
        #expect(state.queued == 0)
    }

    @Test("the exit drain waits for submitted jobs only, and is signalled when the last one ends")
    func drain() {
        var state = State(maxThreads: 2)
        _ = state.submit("awaited", submitted: false)
        #expect(state.drain() == .done, "an awaited job has a caller waiting: exit does not wait for it")
        _ = state.submit("s1", submitted: true)
        _ = state.submit("s2", submitted: true)
        #expect(state.unfinishedSubmitted == 2)
        #expect(state.drain() == .wait)
        #expect(state.finished(submitted: false) == .none)
        #expect(state.finished(submitted: true) == .none)
        #expect(state.finished(submitted: true) == .signalDrained)
        #expect(state.drain() == .done)
    }

    @Test("a drain that timed out is not signalled later")
    func drainTimedOut() {
        var state = State(maxThreads: 1)
        _ = state.submit("s", submitted: true)
        #expect(state.drain() == .wait)
        state.drainEnded()
        #expect(state.finished(submitted: true) == .none)
    }
}
