import CTcl
import KafkaKit
import Synchronization

/// The version `package require kafka` provides: KafkaTcl's current API, as this package
/// implements it.
let kafkaTclPackageVersion = "2.2.2"

/// Tcl's entry point for `load libKafkaKitTcl.so Kafka`: creates the `::kafka` namespace and
/// its `::kafka::kafka` command, and provides the `kafka` package.
@_cdecl("Kafka_Init")
public func kafkaInit(_ interp: OpaquePointer?) -> Int32 {
    guard let raw = UnsafeMutableRawPointer(interp) else { return TCL_ERROR }
    let interp = raw.assumingMemoryBound(to: Tcl_Interp.self)
    guard Tcl_PkgRequire(interp, "Tcl", "8.6", 0) != nil else { return TCL_ERROR }
    guard let namespace = Tcl_CreateNamespace(interp, "::kafka", nil, nil) ?? Tcl_FindNamespace(interp, "::kafka", nil, 0) else {
        return TCL_ERROR
    }
    TclKafkaCommand(interp: interp, name: "::kafka::kafka").register()
    TclConnectionCommands.register(interp)
    Tcl_Export(interp, namespace, "*", 0)
    TclExitFlush.install()
    return Tcl_PkgProvide(interp, "kafka", kafkaTclPackageVersion)
}

/// `Kafka_SafeInit`: KafkaKit opens sockets and threads, which a safe interpreter may not.
@_cdecl("Kafka_SafeInit")
public func kafkaSafeInit(_ interp: OpaquePointer?) -> Int32 { TCL_ERROR }

/// `::kafka::kafka version` and `::kafka::kafka create NAME`.
final class TclKafkaCommand: TclCommand {
    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, "subcommand ?args?") }
        switch args.string(1) {
        case "version":
            try args.expect(2, words: 2, "")
            return Tcl.new(KafkaConfiguration.librdkafkaVersion)
        case "create":
            try args.expect(3, words: 2, "command")
            let name = TclAutoName.resolve(interp, args.string(2), prefix: "kafka_handle")
            let master = TclMaster(interp: interp, name: name)
            master.register()
            return Tcl.new(name)
        default:
            throw .badWord("option", args.string(1), ["create", "version"])
        }
    }
}

/// At process exit, producers that were never deleted still deliver (within a bound) what
/// they were given; what fails is logged to stderr.
enum TclExitFlush {
    private static let installed = Mutex(false)

    static func install() {
        let first = installed.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        Tcl_CreateExitHandler({ _ in
            TclLiveProducers.shutdownAll()
            TclLivePublishers.shutdownAll()
        }, nil)
    }
}
