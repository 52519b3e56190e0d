import Testing

@testable import KafkaKit

/// Every transition of ``EventBufferStateMachine``, without a broker: elements are strings,
/// the reader's continuation a number.
@Suite("EventBufferStateMachine")
struct ProducerEventBufferStateMachineTests {
    typealias Machine = EventBufferStateMachine<String, Int>

    func reading(capacity: Int = 10) -> Machine {
        var machine = Machine(capacity: capacity)
        let isReader = machine.makeReader()
        #expect(isReader)
        return machine
    }

    @Test("events pushed before the reader comes wait for it, in order")
    func bufferedBeforeReader() {
        var machine = Machine(capacity: 10)
        guard case .buffered = machine.push("a", weight: 1, droppableWhenFull: false) else { Issue.record("a"); return }
        guard case .buffered = machine.push("b", weight: 2, droppableWhenFull: false) else { Issue.record("b"); return }
        #expect(machine.weight == 3 && machine.count == 2)
        let isReader = machine.makeReader()
        #expect(isReader)
        guard case .resume(1, "a", spaceFreed: false) = machine.next(1) else { Issue.record("first"); return }
        guard case .resume(2, "b", spaceFreed: false) = machine.next(2) else { Issue.record("second"); return }
        #expect(machine.weight == 0)
    }

    @Test("only the first iterator reads")
    func oneReader() {
        var machine = reading()
        let second = machine.makeReader()
        #expect(!second)
        _ = machine.readerGone()
        let afterGone = machine.makeReader()
        #expect(!afterGone, "not even after the first has gone")
    }

    @Test("reading → waiting on an empty buffer; a push goes straight to the waiting reader")
    func waitingReader() {
        var machine = reading()
        guard case .wait = machine.next(7) else { Issue.record("expected to wait"); return }
        guard case .waiting(7) = machine.reader else { Issue.record("expected waiting"); return }
        guard case .resume(7, "x") = machine.push("x", weight: 5, droppableWhenFull: false) else { Issue.record("expected a hand-over"); return }
        guard case .reading = machine.reader else { Issue.record("expected reading"); return }
        #expect(machine.weight == 0)
    }

    @Test("a full buffer still takes reports (the writer never waits) but drops droppable events")
    func full() {
        var machine = reading(capacity: 3)
        guard case .buffered = machine.push("batch", weight: 3, droppableWhenFull: false) else { Issue.record("batch"); return }
        #expect(machine.isFull)
        guard case .discarded = machine.push("statistics", weight: 1, droppableWhenFull: true) else { Issue.record("statistics"); return }
        guard case .buffered = machine.push("more reports", weight: 2, droppableWhenFull: false) else { Issue.record("reports"); return }
        #expect(machine.weight == 5 && machine.count == 2)
    }

    @Test("reading below the capacity frees space once, at the crossing")
    func spaceFreedAtCrossing() {
        var machine = reading(capacity: 3)
        for element in ["a", "b", "c", "d"] { _ = machine.push(element, weight: 1, droppableWhenFull: false) }
        guard case .resume(_, "a", spaceFreed: false) = machine.next(1) else { Issue.record("a"); return }  // 3 left: still full
        guard case .resume(_, "b", spaceFreed: true) = machine.next(1) else { Issue.record("b"); return }  // 2 left
        guard case .resume(_, "c", spaceFreed: false) = machine.next(1) else { Issue.record("c"); return }
    }

    @Test("reader gone: the waiting reader ends, what was buffered and everything later is discarded")
    func readerGone() {
        var machine = reading(capacity: 2)
        _ = machine.push("a", weight: 2, droppableWhenFull: false)
        let gone = machine.readerGone()
        #expect(gone.resume == nil)
        #expect(gone.spaceFreed, "the buffer was full: refused sends may retry")
        #expect(machine.isReaderGone && machine.weight == 0 && machine.count == 0 && !machine.isFull)
        guard case .discarded = machine.push("b", weight: 1, droppableWhenFull: false) else { Issue.record("b kept"); return }
        guard case .resume(3, nil, spaceFreed: false) = machine.next(3) else { Issue.record("next after gone"); return }
        let again = machine.readerGone()
        #expect(again.resume == nil && !again.spaceFreed)
    }

    @Test("reader gone while waiting: it is resumed with the end")
    func readerGoneWhileWaiting() {
        var machine = reading()
        _ = machine.next(9)
        let gone = machine.readerGone()
        #expect(gone.resume == 9)
        #expect(!gone.spaceFreed)
    }

    @Test("finish: a waiting reader sees the end; a buffered one reads what is left first")
    func finish() {
        var waiting = reading()
        _ = waiting.next(4)
        let resumed = waiting.finish()
        #expect(resumed == 4)
        guard case .resume(5, nil, _) = waiting.next(5) else { Issue.record("end"); return }

        var buffered = reading()
        _ = buffered.push("last", weight: 1, droppableWhenFull: false)
        let nothingWaiting = buffered.finish()
        #expect(nothingWaiting == nil)
        guard case .resume(1, "last", _) = buffered.next(1) else { Issue.record("last"); return }
        guard case .resume(2, nil, _) = buffered.next(2) else { Issue.record("end"); return }
        guard case .discarded = buffered.push("too late", weight: 1, droppableWhenFull: false) else { Issue.record("after finish"); return }
    }

    @Test("sequence dropped before any iterator: nobody can read, so everything is discarded")
    func sequenceDroppedUnread() {
        var machine = Machine(capacity: 1)
        _ = machine.push("a", weight: 1, droppableWhenFull: false)
        let gone = machine.sequenceDropped()
        #expect(gone.spaceFreed && gone.resume == nil)
        #expect(machine.isReaderGone && machine.count == 0)
        guard case .discarded = machine.push("b", weight: 1, droppableWhenFull: false) else { Issue.record("b kept"); return }
    }

    @Test("sequence dropped while its iterator reads: the iterator decides")
    func sequenceDroppedWhileReading() {
        var machine = reading()
        _ = machine.push("a", weight: 1, droppableWhenFull: false)
        let dropped = machine.sequenceDropped()
        #expect(dropped.resume == nil && !dropped.spaceFreed)
        guard case .resume(1, "a", _) = machine.next(1) else { Issue.record("a lost"); return }
    }
}
