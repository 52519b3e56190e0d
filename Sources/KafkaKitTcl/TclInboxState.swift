/// What a ``TclInbox`` holds: items from KafkaKit's threads waiting for the interpreter's
/// thread, and whether an event to fetch them is already queued there.
///
/// One event carries any number of items: a producer's thousands of delivery reports a second
/// cost one Tcl event per burst, not one each. The state never holds items without an event
/// on its way to them (until closed), so none is forgotten.
struct TclInboxState<Item> {
    private(set) var items: [Item] = []
    private(set) var eventQueued = false
    private(set) var isClosed = false

    enum AppendAction: Equatable {
        /// Queue an event for the interpreter's thread.
        case queueEvent
        /// An event is on its way already.
        case none
        /// The inbox is closed: the items were dropped.
        case closed
    }

    /// Adds items from any thread.
    mutating func append(contentsOf new: some Sequence<Item>) -> AppendAction {
        guard !isClosed else { return .closed }
        items.append(contentsOf: new)
        guard !items.isEmpty, !eventQueued else { return .none }
        eventQueued = true
        return .queueEvent
    }

    /// The event ran on the interpreter's thread: everything waiting, in arrival order. Items
    /// appended while these are handled queue a new event.
    mutating func takeForEvent() -> [Item] {
        eventQueued = false
        guard !isClosed else { return [] }
        defer { items = [] }
        return items
    }

    /// Everything waiting, taken on the interpreter's thread without an event (a producer
    /// being deleted hands out its last reports at once).
    mutating func takeNow() -> [Item] {
        defer { items = [] }
        return items
    }

    /// No more items are accepted; returns those still waiting.
    mutating func close() -> [Item] {
        isClosed = true
        defer { items = [] }
        return items
    }

    var count: Int { items.count }
}
