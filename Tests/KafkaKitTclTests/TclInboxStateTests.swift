import Testing

@testable import KafkaKitTcl

/// The inbox that carries reports to the interpreter's thread: one event per burst, none
/// forgotten, nothing accepted once closed.
@Suite("Tcl inbox state")
struct TclInboxStateTests {
    @Test("the first items of a burst queue an event; the rest ride on it")
    func oneEventPerBurst() {
        var state = TclInboxState<Int>()
        #expect(state.append(contentsOf: [1]) == .queueEvent)
        #expect(state.append(contentsOf: [2, 3]) == .none)
        #expect(state.count == 3)
        let taken = state.takeForEvent()
        #expect(taken == [1, 2, 3])
        #expect(state.count == 0)
    }

    @Test("items appended after the event took its items queue a new event")
    func afterTakeNewEvent() {
        var state = TclInboxState<Int>()
        _ = state.append(contentsOf: [1])
        _ = state.takeForEvent()
        #expect(state.append(contentsOf: [2]) == .queueEvent)
        #expect(state.eventQueued)
    }

    @Test("an empty append queues nothing")
    func emptyAppend() {
        var state = TclInboxState<Int>()
        #expect(state.append(contentsOf: []) == .none)
        #expect(!state.eventQueued)
    }

    @Test("takeNow hands out what waits; the queued event then finds nothing and a later append queues again")
    func takeNowThenEvent() {
        var state = TclInboxState<Int>()
        _ = state.append(contentsOf: [1, 2])
        #expect(state.takeNow() == [1, 2])
        #expect(state.append(contentsOf: [3]) == .none)  // the first event is still on its way
        #expect(state.takeForEvent() == [3])
        #expect(state.append(contentsOf: [4]) == .queueEvent)
    }

    @Test("close returns what never reached Tcl and refuses more")
    func close() {
        var state = TclInboxState<Int>()
        _ = state.append(contentsOf: [1, 2])
        #expect(state.close() == [1, 2])
        #expect(state.append(contentsOf: [3]) == .closed)
        #expect(state.takeForEvent() == [])
        #expect(state.isClosed)
    }
}

/// `delivery_report every N` and `sample`.
@Suite("Tcl delivery-report selection")
struct TclDeliverySelectionTests {
    func selected(_ selection: inout TclDeliverySelection, _ reports: Int, failedAt failed: Set<Int> = []) -> [Int] {
        (0..<reports).filter { selection.selects(failed: failed.contains($0)) }
    }

    @Test("by default every report is selected")
    func everyReport() {
        var selection = TclDeliverySelection()
        #expect(selected(&selection, 5) == [0, 1, 2, 3, 4])
    }

    @Test("every N selects the first and then every Nth")
    func everyN() {
        var selection = TclDeliverySelection()
        selection.setEvery(4)
        #expect(selected(&selection, 10) == [0, 4, 8])
    }

    @Test("every 0 selects none; sample selects the next one only")
    func everyZeroAndSample() {
        var selection = TclDeliverySelection()
        selection.setEvery(0)
        #expect(selected(&selection, 3) == [])
        selection.sample()
        #expect(selected(&selection, 3) == [0])
    }

    @Test("a failed delivery is always selected")
    func failuresAlways() {
        var selection = TclDeliverySelection()
        selection.setEvery(0)
        #expect(selected(&selection, 6, failedAt: [2, 5]) == [2, 5])
        selection.setEvery(3)
        #expect(selected(&selection, 6, failedAt: [1]) == [0, 1, 3])
    }

    @Test("setting every again starts counting afresh")
    func resetCounts() {
        var selection = TclDeliverySelection()
        selection.setEvery(2)
        _ = selected(&selection, 3)
        selection.setEvery(2)
        #expect(selected(&selection, 3) == [0, 2])
    }
}
