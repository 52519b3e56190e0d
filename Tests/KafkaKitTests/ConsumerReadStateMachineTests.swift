@testable import KafkaKit
import Testing

/// The consumer's read-side rules, without librdkafka: leases are plain objects, waiters are
/// labels.
@Suite("Consumer read state machine")
struct ConsumerReadStateMachineTests {
    final class Lease: Equatable {
        let name: String
        init(_ name: String) { self.name = name }
        static func == (a: Lease, b: Lease) -> Bool { a === b }
    }
    typealias Machine = ConsumerReadStateMachine<Lease, String>

    func resumed(_ action: Machine.AcquireAction) -> Lease? {
        if case .resume(let lease) = action { return lease }
        return nil
    }

    @Test("the first reader takes; its lease is stored when it asks for more")
    func takeAndFinish() {
        var m = Machine()
        guard case .take = m.acquire(1) else { Issue.record("expected take"); return }
        let a = Lease("a")
        do { let v = m.took(1, lease: a); #expect(v) }
        #expect(m.currentLease === a)
        let finish = m.finishLease(1)
        #expect(finish.store === a)
        #expect(finish.grant == nil)
        guard case .take = m.acquire(1) else { Issue.record("the holder keeps the turn"); return }
    }

    @Test("a reader that leaves mid-batch leaves the batch for the next reader, not lost")
    func breakKeepsTheBatch() {
        var m = Machine()
        _ = m.acquire(1)
        let a = Lease("a")
        do { let v = m.took(1, lease: a); #expect(v) }
        do { let v = m.readerLeft(1); #expect(v == nil) }
        #expect(m.currentLease == nil)
        #expect(m.outstandingLeases == [a])
        #expect(resumed(m.acquire(2)) === a)
        #expect(m.currentLease === a)
        #expect(m.outstandingLeases == [a])
    }

    @Test("a second reader waits for the turn and gets it at the first one's batch boundary")
    func twoReadersTakeTurns() {
        var m = Machine()
        _ = m.acquire(1)
        let a = Lease("a")
        do { let v = m.took(1, lease: a); #expect(v) }
        guard case .mustWait = m.acquire(2) else { Issue.record("expected mustWait"); return }
        do { let v = m.enqueueForTurn(2, waiter: "w2"); #expect(v == .queued) }
        let finish = m.finishLease(1)
        #expect(finish.store === a)
        #expect(finish.grant == "w2")
        guard case .take = m.acquire(2) else { Issue.record("the granted reader takes"); return }
        guard case .mustWait = m.acquire(1) else { Issue.record("the first reader now waits"); return }
    }

    @Test("a turn given up between acquire and enqueue is retried, not waited for")
    func enqueueRetriesWhenFree() {
        var m = Machine()
        _ = m.acquire(1)
        guard case .mustWait = m.acquire(2) else { Issue.record("expected mustWait"); return }
        do { let v = m.readerLeft(1); #expect(v == nil) }
        do { let v = m.enqueueForTurn(2, waiter: "w2"); #expect(v == .retry) }
        guard case .take = m.acquire(2) else { Issue.record("expected take"); return }
    }

    @Test("a reader leaving passes the turn to the next in line, with its batch")
    func leavingPassesTheTurn() {
        var m = Machine()
        _ = m.acquire(1)
        let a = Lease("a")
        do { let v = m.took(1, lease: a); #expect(v) }
        _ = m.acquire(2)
        do { let v = m.enqueueForTurn(2, waiter: "w2"); #expect(v == .queued) }
        do { let v = m.readerLeft(1); #expect(v == "w2") }
        #expect(resumed(m.acquire(2)) === a)
    }

    @Test("a data signal that comes while nobody waits is kept for the next wait")
    func dataSignalIsNotLost() {
        var m = Machine()
        _ = m.acquire(1)
        do { let v = m.signalData(); #expect(v == nil) }
        do { let v = m.waitForData(1, waiter: "d1"); #expect(v == .retry) }
        do { let v = m.waitForData(1, waiter: "d1"); #expect(v == .queued) }
        #expect(m.isWaitingForData)
        do { let v = m.signalData(); #expect(v == "d1") }
        #expect(!m.isWaitingForData)
    }

    @Test("cancelling a waiter removes it; a cancelled turn holder's turn passes on")
    func cancellation() {
        var m = Machine()
        _ = m.acquire(1)
        do { let v = m.waitForData(1, waiter: "d1"); #expect(v == .queued) }
        _ = m.acquire(2)
        do { let v = m.enqueueForTurn(2, waiter: "w2"); #expect(v == .queued) }
        do { let v = m.cancelWait(2); #expect(v == "w2") }
        do { let v = m.cancelWait(2); #expect(v == nil) }
        do { let v = m.cancelWait(1); #expect(v == "d1") }
        do { let v = m.readerLeft(1); #expect(v == nil) }
        guard case .take = m.acquire(3) else { Issue.record("the turn is free again"); return }
    }

    @Test("close ends every waiter and returns what was handed out, current lease last")
    func close() {
        var m = Machine()
        _ = m.acquire(1)
        let a = Lease("a")
        do { let v = m.took(1, lease: a); #expect(v) }
        do { let v = m.readerLeft(1); #expect(v == nil) }
        _ = m.acquire(2)  // resumes a
        _ = m.acquire(3)
        do { let v = m.enqueueForTurn(3, waiter: "w3"); #expect(v == .queued) }
        let action = m.close()
        #expect(!action.alreadyClosing)
        #expect(action.waiters == ["w3"])
        #expect(action.store == [a])
        #expect(action.current === a)
        let again = m.close()
        #expect(again.alreadyClosing)
        guard case .finished = m.acquire(3) else { Issue.record("closing ends the sequence"); return }
        let finish = m.finishLease(2)
        #expect(finish.store == nil)  // nothing is stored after close began
        do { let v = m.waitForData(2, waiter: "d2"); #expect(v == .finished) }
        m.closed()
        #expect(m.lifecycle == .closed)
    }

    @Test("close during a take waits for the take to end before librdkafka's close")
    func closeWaitsForTake() {
        var m = Machine()
        guard case .take = m.acquire(1) else { Issue.record("expected take"); return }
        let action = m.close()
        #expect(action.waitForTake)
        do { let v = m.takeEnded(); #expect(v, "the take's end signals the waiting close") }
        do { let v = m.takeEnded(); #expect(!v) }
    }

    @Test("close after the take ended does not wait")
    func closeAfterTake() {
        var m = Machine()
        _ = m.acquire(1)
        do { let v = m.takeEnded(); #expect(!v) }
        let action = m.close()
        #expect(!action.waitForTake)
    }

    @Test("a batch taken while close began is not handed out")
    func tookDuringClose() {
        var m = Machine()
        _ = m.acquire(1)
        _ = m.close()
        do { let v = m.took(1, lease: Lease("late")); #expect(!v) }
    }

    @Test("close with a reader waiting for data resumes it")
    func closeResumesDataWaiter() {
        var m = Machine()
        _ = m.acquire(1)
        do { let v = m.waitForData(1, waiter: "d1"); #expect(v == .queued) }
        let action = m.close()
        #expect(action.waiters == ["d1"])
    }
}

@Suite("Consumer event buffer state machine")
struct ConsumerEventBufferStateMachineTests {
    typealias Machine = ConsumerEventBufferStateMachine<Int, String>

    @Test("before the first reader, small events are kept for it, the newest capacity of them")
    func keptForFirstReader() {
        var m = Machine(capacity: 2)
        guard case .buffered = m.push(1), case .buffered = m.push(2) else { Issue.record("expected buffered"); return }
        guard case .bufferedPushingOut(1) = m.push(3) else { Issue.record("the oldest is pushed out, to be logged"); return }
        guard case .notBuffered = m.push(4, keepable: false) else { Issue.record("statistics are not kept"); return }
        #expect(!m.isFull, "no back-pressure before anyone reads")
        m.readerJoined()
        guard case .element(2, _) = m.next(waiter: "r"), case .element(3, _) = m.next(waiter: "r") else {
            Issue.record("the first reader gets what was kept, in order"); return
        }
    }

    @Test("after the last reader left, nothing is buffered: the consumer logs it")
    func noReaderAfterLeaving() {
        var m = Machine(capacity: 2)
        m.readerJoined()
        _ = m.readerLeft()
        guard case .notBuffered = m.push(1) else { Issue.record("expected notBuffered"); return }
        #expect(!m.isFull)
    }

    @Test("with a reader, events are bounded and a full buffer is reported, then freed")
    func backPressure() {
        var m = Machine(capacity: 2)
        m.readerJoined()
        guard case .buffered = m.push(1), case .buffered = m.push(2) else { Issue.record("expected buffered"); return }
        #expect(m.isFull)
        guard case .element(1, let freed) = m.next(waiter: "r") else { Issue.record("expected 1"); return }
        #expect(freed)
        #expect(!m.isFull)
        guard case .element(2, false) = m.next(waiter: "r") else { Issue.record("expected 2"); return }
        guard case .wait = m.next(waiter: "r") else { Issue.record("expected wait"); return }
        guard case .resume("r") = m.push(3) else { Issue.record("a waiting reader gets the event"); return }
    }

    @Test("the last reader leaving drops the buffer (returned for logging) and frees the consumer")
    func lastReaderLeaves() {
        var m = Machine(capacity: 1)
        m.readerJoined()
        _ = m.push(7)
        #expect(m.isFull)
        let (dropped, freed) = m.readerLeft()
        #expect(dropped == [7])
        #expect(freed)
        #expect(!m.isFull)
        guard case .notBuffered = m.push(8) else { Issue.record("expected notBuffered"); return }
    }

    @Test("finish ends waiting readers; buffered events are still read, then the end")
    func finish() {
        var m = Machine(capacity: 4)
        m.readerJoined()
        _ = m.push(1)
        guard case .element(1, _) = m.next(waiter: "a") else { Issue.record("expected 1"); return }
        guard case .wait = m.next(waiter: "a") else { Issue.record("expected wait"); return }
        do { let v = m.finish(); #expect(v == ["a"]) }
        guard case .finished = m.next(waiter: "b") else { Issue.record("expected finished"); return }
        let cancelled = m.cancelWait { $0 == "b" }
        #expect(cancelled == nil)
    }
}
