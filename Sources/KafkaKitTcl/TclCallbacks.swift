import CTcl
import Glibc
import KafkaKit
import Synchronization

/// A Tcl command prefix to call with arguments appended (held with a reference count).
///
/// Made and called on the interpreter's thread; a report handler on another thread may hold
/// the last reference, so the release of the Tcl value is sent back to that thread.
final class TclScript {
    let obj: TclObj
    private let thread: Tcl_ThreadId

    init(_ obj: TclObj) {
        self.obj = obj
        self.thread = Tcl_GetCurrentThread()
        ctcl_incr_ref(obj)
    }

    deinit {
        if Tcl_GetCurrentThread() == thread {
            ctcl_decr_ref(obj)
        } else {
            ctcl_queue_event(thread, tclReleaseEventProc, UnsafeMutableRawPointer(obj))
        }
    }

    /// Calls the command with `arguments` at global level. An error goes to the interpreter's
    /// background error handler (`bgerror`), as for any event-loop callback.
    ///
    /// Returns `false` when the interpreter is being deleted (perhaps by this very callback):
    /// the caller must stop calling into it. Callers hold the interpreter with
    /// ``Tcl/preserving(_:_:)`` around their loop, so it stays valid until they return.
    @discardableResult
    func call(_ interp: TclInterp, _ arguments: [TclObj]) -> Bool {
        guard Tcl_InterpDeleted(interp) == 0 else { return false }
        let command = Tcl_DuplicateObj(obj)!
        ctcl_incr_ref(command)
        defer { ctcl_decr_ref(command) }
        for argument in arguments { Tcl_ListObjAppendElement(nil, command, argument) }
        let code = Tcl_EvalObjEx(interp, command, TCL_EVAL_GLOBAL)
        if code == TCL_ERROR { Tcl_BackgroundException(interp, code) }
        return Tcl_InterpDeleted(interp) == 0
    }

    var text: String { Tcl.string(obj) }
}

/// Where librdkafka's log lines go (`logger syslog|stderr|callback CMD`): read by KafkaKit's
/// threads, changed by the interpreter's.
final class TclLogDestination: Sendable {
    enum Kind: Sendable { case stderr, syslog, callback, none }
    private let kind = Mutex(Kind.stderr)

    var current: Kind {
        get { kind.withLock { $0 } }
        set { kind.withLock { $0 = newValue } }
    }
}

/// The master object's callbacks, shared with the handles it creates, so a change through the
/// master reaches handles made before it. Used on the interpreter's thread only.
final class TclCallbacks {
    var deliveryReport: TclScript?
    var selection = TclDeliverySelection()
    var error: TclScript?
    var statistics: TclScript?
    var logCallback: TclScript?
    let logDestination = TclLogDestination()
}

/// Which delivery reports reach the delivery-report callback (`delivery_report every N`,
/// `delivery_report sample`): by default every one; with `every N`, the first and then every
/// Nth; with `every 0`, none unless `sample` asked for the next. A failed delivery is never
/// left out: it always reaches the callback.
struct TclDeliverySelection: Equatable {
    private(set) var every = 1
    private(set) var sampleNext = false
    private var seen = 0

    mutating func setEvery(_ n: Int) {
        every = max(0, n)
        seen = 0
    }

    mutating func sample() { sampleNext = true }

    /// Whether this report is handed to the callback.
    mutating func selects(failed: Bool) -> Bool {
        defer { seen += 1 }
        if sampleNext {
            sampleNext = false
            return true
        }
        if failed { return true }
        guard every > 0 else { return false }
        return seen % every == 0
    }
}

/// One log line from librdkafka or KafkaKit, for the `logger` destination.
struct TclLogLine: Sendable {
    var level: Int32
    var facility: String
    var message: String

    /// Writes the line where stderr and syslog destinations want it (on any thread).
    func write(to kind: TclLogDestination.Kind, client: String) {
        switch kind {
        case .stderr:
            let line = "%\(level)|\(facility)|\(client)| \(message)\n"
            var bytes = Array(line.utf8)
            _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        case .syslog:
            // syslog(3) is variadic; "%s" keeps the text from being read as a format.
            "\(facility) [\(client)] \(message)".withCString { text in
                withVaList([text]) { vsyslog(level, "%s", $0) }
            }
        case .callback, .none:
            break
        }
    }
}

/// Releases a Tcl value on its interpreter's thread (see ``TclScript``).
private func tclReleaseEventProc(_ event: UnsafeMutablePointer<Tcl_Event>?, _ flags: Int32) -> Int32 {
    guard flags & TCL_FILE_EVENTS != 0 else { return 0 }
    ctcl_decr_ref(ctcl_event_context(event)!.assumingMemoryBound(to: Tcl_Obj.self))
    return 1
}
