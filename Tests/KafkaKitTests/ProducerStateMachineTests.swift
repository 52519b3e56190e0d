import Dispatch
import Testing

@testable import KafkaKit

/// Every transition of ``ProducerStateMachine``, without a broker: waiters are plain strings.
@Suite("ProducerStateMachine")
struct ProducerStateMachineTests {
    typealias Machine = ProducerStateMachine<String>

    let now = DispatchTime(uptimeNanoseconds: 1_000_000_000)
    var later: DispatchTime { now + .seconds(10) }

    func waiting(_ machine: inout Machine, _ waiter: String, until deadline: DispatchTime) {
        guard case .wakePoller = machine.waitForQueueSpace(waiter, until: deadline, now: now, spaceFreedSinceFailure: false) else {
            Issue.record("\(waiter) was not kept")
            return
        }
    }

    @Test("a new producer runs and takes sends")
    func initial() {
        let machine = Machine()
        #expect(machine.state == .running)
        #expect(machine.acceptsSends)
        #expect(!machine.hasWaiters)
        #expect(machine.nearestDeadline == nil)
    }

    @Test("running: a waiter is kept and the poller woken for its deadline")
    func waiterKept() {
        var machine = Machine()
        waiting(&machine, "a", until: later)
        waiting(&machine, "b", until: now + .seconds(5))
        #expect(machine.hasWaiters)
        #expect(machine.nearestDeadline == now + .seconds(5))
    }

    @Test("running: space freed since the failed attempt resumes the waiter at once with retry")
    func spaceFreedBeforeRegistering() {
        var machine = Machine()
        guard case .resume("a", .retry) = machine.waitForQueueSpace("a", until: later, now: now, spaceFreedSinceFailure: true) else {
            Issue.record("expected an immediate retry")
            return
        }
        #expect(!machine.hasWaiters)
    }

    @Test("running: a deadline already passed resumes the waiter at once")
    func deadlineAlreadyPassed() {
        var machine = Machine()
        guard case .resume("a", .deadlinePassed) = machine.waitForQueueSpace("a", until: now, now: now, spaceFreedSinceFailure: false) else {
            Issue.record("expected deadlinePassed")
            return
        }
        #expect(!machine.hasWaiters)
    }

    @Test("running: freed queue space resumes every waiter with retry")
    func spaceFreed() {
        var machine = Machine()
        waiting(&machine, "a", until: later)
        waiting(&machine, "b", until: later)
        let retried = machine.queueSpaceFreed()
        #expect(Set(retried) == ["a", "b"])
        #expect(!machine.hasWaiters)
        let again = machine.queueSpaceFreed()
        #expect(again.isEmpty)
    }

    @Test("running: only the waiters whose deadline passed are resumed")
    func deadlines() {
        var machine = Machine()
        waiting(&machine, "soon", until: now + .seconds(1))
        waiting(&machine, "late", until: later)
        let none = machine.deadlinesPassed(now: now)
        #expect(none.isEmpty)
        let soon = machine.deadlinesPassed(now: now + .seconds(1))
        #expect(soon == ["soon"])
        #expect(machine.nearestDeadline == later)
        let late = machine.deadlinesPassed(now: later)
        #expect(late == ["late"])
        #expect(!machine.hasWaiters)
    }

    @Test("running → flushing: sends are refused and every waiter is told shutDown at once")
    func beginShutdown() {
        var machine = Machine()
        waiting(&machine, "a", until: later)
        waiting(&machine, "b", until: later)
        guard case .flush(let waiters) = machine.beginShutdown() else {
            Issue.record("the first shutdown flushes")
            return
        }
        #expect(Set(waiters) == ["a", "b"])
        #expect(machine.state == .flushing)
        #expect(!machine.acceptsSends)
        #expect(!machine.hasWaiters)
    }

    @Test("a second shutdown waits for the first one's stop")
    func secondShutdown() {
        var machine = Machine()
        _ = machine.beginShutdown()
        guard case .waitForStop = machine.beginShutdown() else {
            Issue.record("a second shutdown must not flush again")
            return
        }
        #expect(machine.state == .flushing)
    }

    @Test("no waiter is kept once shutdown has begun: in every later state it is told shutDown at once")
    func noWaiterAfterRunning() {
        var machine = Machine()
        _ = machine.beginShutdown()
        for expected in [Machine.State.flushing, .draining, .stopped] {
            #expect(machine.state == expected)
            guard case .resume("late", .shutDown) = machine.waitForQueueSpace("late", until: later, now: now, spaceFreedSinceFailure: false) else {
                Issue.record("a waiter registered in \(expected) must be resumed at once (a lost wake-up otherwise)")
                return
            }
            #expect(!machine.hasWaiters)
            switch expected {
            case .flushing: _ = machine.flushFinished(allDelivered: true)
            case .draining: _ = machine.pollerServedAll(sendsInProgress: 0, outstanding: 0)
            default: break
            }
        }
    }

    @Test("flushing → draining: purge only if the flush left messages")
    func flushFinished() {
        var delivered = Machine()
        _ = delivered.beginShutdown()
        let delivering = delivered.flushFinished(allDelivered: true)
        #expect(delivering == .drain(purge: false))
        #expect(delivered.state == .draining)

        var timedOut = Machine()
        _ = timedOut.beginShutdown()
        let purging = timedOut.flushFinished(allDelivered: false)
        #expect(purging == .drain(purge: true))
        let twice = timedOut.flushFinished(allDelivered: false)
        #expect(twice == .none, "only once")

        var running = Machine()
        let notShuttingDown = running.flushFinished(allDelivered: true)
        #expect(notShuttingDown == .none)
        #expect(running.state == .running)
    }

    @Test("running and flushing: the poller keeps serving")
    func pollerKeepsServing() {
        var machine = Machine()
        guard case .keepServing = machine.pollerServedAll(sendsInProgress: 0, outstanding: 0) else {
            Issue.record("a running poller must not stop")
            return
        }
        _ = machine.beginShutdown()
        guard case .keepServing = machine.pollerServedAll(sendsInProgress: 0, outstanding: 0) else {
            Issue.record("a flushing poller must not stop: the flush waits for it")
            return
        }
        #expect(machine.state == .flushing)
    }

    @Test("draining: the poller purges and looks again while a send is in progress or librdkafka holds messages")
    func drainingWithWork() {
        var machine = Machine()
        _ = machine.beginShutdown()
        _ = machine.flushFinished(allDelivered: true)
        for (sends, outstanding) in [(1, 0), (0, 3), (2, 5)] {
            guard case .purgeAndLookAgain = machine.pollerServedAll(sendsInProgress: sends, outstanding: outstanding) else {
                Issue.record("must not stop with \(sends) sends and \(outstanding) messages")
                return
            }
            #expect(machine.state == .draining)
        }
    }

    @Test("draining → stopped once nothing is left; the stop strands no waiter")
    func stop() {
        var machine = Machine()
        _ = machine.beginShutdown()
        _ = machine.flushFinished(allDelivered: false)
        guard case .stop(let waiters) = machine.pollerServedAll(sendsInProgress: 0, outstanding: 0) else {
            Issue.record("expected the poller to stop")
            return
        }
        #expect(waiters.isEmpty)
        #expect(machine.state == .stopped)
        #expect(!machine.acceptsSends)
        guard case .waitForStop = machine.beginShutdown() else {
            Issue.record("shutdown after the stop only waits (returns at once)")
            return
        }
    }
}
