import CTcl
import Synchronization

/// Carries items from KafkaKit's threads (delivery reports, errors, logs, consumed messages)
/// to the interpreter's thread, where `deliver` hands them to Tcl from the event loop
/// (`vwait`, `update`) — never from another thread.
final class TclInbox<Item: Sendable>: TclInboxEvent, @unchecked Sendable {
    // @unchecked: `state` is behind a Mutex; `deliver` and `thread` are only used on the
    // interpreter's thread (and `thread` never changes).
    private let state = Mutex(TclInboxState<Item>())
    private let thread: Tcl_ThreadId
    /// Runs on the interpreter's thread with the items of one event.
    var deliver: ([Item]) -> Void

    init(deliver: @escaping ([Item]) -> Void) {
        self.thread = Tcl_GetCurrentThread()
        self.deliver = deliver
    }

    /// From any thread. Returns `false` if the inbox is closed and the items were dropped.
    @discardableResult
    func post(_ items: some Sequence<Item> & Sendable) -> Bool {
        let action = state.withLock { $0.append(contentsOf: items) }
        switch action {
        case .queueEvent:
            ctcl_queue_event(thread, tclInboxEventProc, Unmanaged<TclInboxEvent>.passRetained(self).toOpaque())
            return true
        case .none: return true
        case .closed: return false
        }
    }

    @discardableResult
    func post(_ item: Item) -> Bool { post(CollectionOfOne(item)) }

    /// How many items wait for the event loop.
    var waiting: Int { state.withLock { $0.count } }

    /// On the interpreter's thread: hands out what waits now, without an event.
    func deliverNow() {
        let items = state.withLock { $0.takeNow() }
        if !items.isEmpty { deliver(items) }
    }

    /// Stops accepting items; returns those that never reached Tcl.
    func close() -> [Item] { state.withLock { $0.close() } }

    override func run() {
        let items = state.withLock { $0.takeForEvent() }
        if !items.isEmpty { deliver(items) }
    }
}

/// The non-generic face of an inbox that a C event procedure can call.
class TclInboxEvent {
    func run() {}
}

private func tclInboxEventProc(_ event: UnsafeMutablePointer<Tcl_Event>?, _ flags: Int32) -> Int32 {
    // Delivered with file events: `update idletasks` leaves them queued.
    guard flags & TCL_FILE_EVENTS != 0 else { return 0 }
    let inbox = Unmanaged<TclInboxEvent>.fromOpaque(ctcl_event_context(event)!).takeRetainedValue()
    inbox.run()
    return 1
}
