import CTcl
import Synchronization

/// A Tcl command backed by a Swift object: `::kafka::kafka`, a master object, a handle, a topic,
/// a queue or a subscriber.
///
/// Objects belong to the interpreter that made them and are used only on its thread: Tcl calls
/// them there, and callbacks reach them there through ``TclInbox``. That is what makes their
/// plain `var`s safe; nothing else touches them.
class TclCommand {
    let interp: TclInterp
    /// The command's name as created (`kafka_handle0`, `::producer`, ...).
    let name: String
    private(set) var token: Tcl_Command?
    /// Set once the Tcl command is gone (`delete`, `rename X ""`, the interpreter deleted).
    private(set) var isDeleted = false

    init(interp: TclInterp, name: String) {
        self.interp = interp
        self.name = name
    }

    /// The client data of our live commands: how `lookup` tells our commands from others.
    fileprivate static let live = Mutex(Set<UInt>())

    /// Creates the Tcl command. The command holds the object until it is deleted.
    func register() {
        let context = Unmanaged.passRetained(self).toOpaque()
        _ = Self.live.withLock { $0.insert(UInt(bitPattern: context)) }
        token = Tcl_CreateObjCommand(interp, name, tclCommandTrampoline, context, tclCommandDeleted)
    }

    /// Runs one call; the result (nil: empty) becomes the interpreter's result.
    func call(_ args: TclArgs) throws(TclError) -> TclObj? { nil }

    /// Called once when the command goes, however it goes: release what the object holds.
    func commandDeleted() {}

    /// Deletes the command (the `delete` subcommand); `commandDeleted` runs.
    func deleteCommand() {
        guard let token, !isDeleted else { return }
        Tcl_DeleteCommandFromToken(interp, token)
    }

    fileprivate func markDeleted() {
        isDeleted = true
        token = nil
        commandDeleted()
    }

    /// The fully qualified name, for results that name the object.
    var qualifiedName: String {
        guard let token else { return name }
        let obj = Tcl_NewObj()!
        ctcl_incr_ref(obj)
        defer { ctcl_decr_ref(obj) }
        Tcl_GetCommandFullName(interp, token, obj)
        return Tcl.string(obj)
    }

    /// The object behind the Tcl command `name`, if it is one of ours of type `T`.
    static func lookup<T: TclCommand>(_ interp: TclInterp, _ name: String, as type: T.Type) -> T? {
        var info = Tcl_CmdInfo()
        guard Tcl_GetCommandInfo(interp, name, &info) != 0,
              let context = info.objClientData,
              live.withLock({ $0.contains(UInt(bitPattern: context)) }) else { return nil }
        return Unmanaged<TclCommand>.fromOpaque(context).takeUnretainedValue() as? T
    }
}

/// The `objProc` of every command of ours.
private func tclCommandTrampoline(
    _ context: ClientData?, _ interp: UnsafeMutablePointer<Tcl_Interp>?, _ objc: Int32, _ objv: UnsafePointer<TclObj?>?
) -> Int32 {
    guard let context, let interp, let objv else { return TCL_ERROR }
    // A strong reference for the whole call: `delete` may drop the command's own.
    let command = Unmanaged<TclCommand>.fromOpaque(context).takeUnretainedValue()
    do {
        let result = try command.call(TclArgs(interp: interp, objc: Int(objc), objv: objv))
        if let result { Tcl_SetObjResult(interp, result) } else { Tcl_ResetResult(interp) }
        return TCL_OK
    } catch {
        return Tcl.fail(interp, error, objc: objc, objv: objv)
    }
}

private func tclCommandDeleted(_ context: ClientData?) {
    guard let context else { return }
    _ = TclCommand.live.withLock { $0.remove(UInt(bitPattern: context)) }
    let command = Unmanaged<TclCommand>.fromOpaque(context).takeRetainedValue()
    command.markDeleted()
}

/// Names made for `#auto`: `kafka_handle0`, `kafka_handle1`, ... per interpreter and kind,
/// skipping names already taken by a command.
enum TclAutoName {
    private static let counters = Mutex<[String: Int]>([:])

    static func resolve(_ interp: TclInterp, _ requested: String, prefix: String) -> String {
        guard requested == "#auto" else { return requested }
        let key = "\(UInt(bitPattern: interp)):\(prefix)"
        while true {
            let n = counters.withLock { counters in
                defer { counters[key, default: 0] += 1 }
                return counters[key, default: 0]
            }
            let candidate = "\(prefix)\(n)"
            var info = Tcl_CmdInfo()
            if Tcl_GetCommandInfo(interp, candidate, &info) == 0 { return candidate }
        }
    }
}
