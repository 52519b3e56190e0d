import CTcl
import Foundation
import KafkaKit
import KafkaKitConnections
import KafkaKitEvents
import Logging
import Synchronization

/// `::kafka::connection`, `::kafka::publish` and `::kafka::event raise`: kafka.conf's named
/// connections, broker IDs and event subscriptions, resolved as the `kafka` command resolves
/// them (`-config FILE`, else `$KAFKA_CONF`, `./kafka.conf`, `/etc/kafka/kafka.conf`).
enum TclConnectionCommands {
    static func register(_ interp: TclInterp) {
        let state = TclConnectionState(interp: interp)
        for command: TclCommand in [
            TclConnectionCommand(interp: interp, name: "::kafka::connection", state: state),
            TclPublishCommand(interp: interp, name: "::kafka::publish", state: state),
            TclEventCommand(interp: interp, name: "::kafka::event", state: state),
        ] {
            state.commandAdded()
            command.register()
        }
    }

    /// The kafka.conf to use: the one named, else the `kafka` command's search order.
    static func configPath(_ given: String?) throws(TclError) -> String {
        if let given { return given }
        if let env = ProcessInfo.processInfo.environment["KAFKA_CONF"], !env.isEmpty { return env }
        for path in ["./kafka.conf", "/etc/kafka/kafka.conf"] where FileManager.default.fileExists(atPath: path) { return path }
        throw TclError(
            "no kafka.conf: pass -config FILE, set KAFKA_CONF, or create ./kafka.conf or /etc/kafka/kafka.conf",
            errorCode: ["KAFKA", "CONFIG"])
    }

    /// `-name value` options after the fixed words, of the names allowed.
    static func options(_ args: TclArgs, from first: Int, allowed: [String], usage: String) throws(TclError) -> [String: TclObj] {
        var options: [String: TclObj] = [:]
        var i = first
        while i < args.count {
            let word = args.string(i)
            guard allowed.contains(word) else { throw .badWord("option", word, allowed) }
            guard i + 1 < args.count else { throw TclError("option \(word) needs a value (\(usage))", errorCode: ["TCL", "WRONGARGS"]) }
            options[word] = args[i + 1]
            i += 2
        }
        return options
    }
}

/// Per interpreter: the kafka.conf files read, the publishers made from them, and the inbox
/// their reports reach Tcl through.
final class TclConnectionState {
    let interp: TclInterp
    private var files: [String: KafkaConnectionsFile] = [:]
    private var publishers: [String: KafkaEventPublisher] = [:]
    let reports: TclInbox<TclPublishOutcome>

    init(interp: TclInterp) {
        self.interp = interp
        reports = TclInbox(deliver: { _ in })
        reports.deliver = { [interp] outcomes in
            Tcl.preserving(interp) {
                for outcome in outcomes where !outcome.script.call(interp, [outcome.report]) {
                    outcome.writeIfFailed()
                }
            }
        }
    }

    /// The `::kafka` commands still registered: the state closes when the last one goes.
    private var commands = 0

    func commandAdded() { commands += 1 }

    func commandGone() {
        commands -= 1
        if commands == 0 { close() }
    }

    private(set) var isClosed = false

    /// The interpreter's `::kafka` commands are going (the interpreter is deleted, or they
    /// are): reports still to come are dropped, never run in a gone interpreter. The
    /// publishers stay until exit, delivering what they were given.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        reports.deliver = { _ in }
        for outcome in reports.close() { outcome.writeIfFailed() }
    }

    func file(_ given: String?) throws(TclError) -> KafkaConnectionsFile {
        let path = try TclConnectionCommands.configPath(given)
        if let file = files[path] { return file }
        let file = try kafka { try KafkaConnectionsFile.load(path: path) }
        guard file.isEnabled else {
            throw TclError("Kafka connections are disabled ([general] enabled = no) in \(path)", errorCode: ["KAFKA", "CONFIG"])
        }
        files[path] = file
        return file
    }

    func publisher(_ given: String?) throws(TclError) -> KafkaEventPublisher {
        let path = try TclConnectionCommands.configPath(given)
        if let publisher = publishers[path] { return publisher }
        // Failures of messages published without -report are logged: to stderr.
        let logger = Logger(label: "KafkaKitTcl.publish") { _ in
            TclLogHandler(destination: TclLogDestination(), client: "kafka::publish", threshold: TclLogThreshold(), post: { _ in })
        }
        let publisher = try kafka { try KafkaEventPublisher(file: try file(path), logger: logger) }
        publishers[path] = publisher
        TclLivePublishers.add(publisher, reports: reports)
        return publisher
    }

    /// A report handler that hands each outcome to `script` from the event loop.
    func reportHandler(_ script: TclScript?) -> KafkaEventPublisher.ReportHandler? {
        guard let script else { return nil }
        let inbox = reports
        let box = TclUnchecked(script)
        return { report in inbox.post(TclPublishOutcome(script: box.value, report: report)) }
    }
}

/// A publish report on its way to its Tcl command.
struct TclPublishOutcome: @unchecked Sendable {
    // @unchecked: the script is only touched (called, released) on the interpreter's thread;
    // the report thread only carries the reference.
    let script: TclScript
    let reportValue: KafkaPublishReport

    init(script: TclScript, report: KafkaPublishReport) {
        self.script = script
        self.reportValue = report
    }

    /// An outcome its command can no longer get (the interpreter went, the process exits):
    /// a failure is written to stderr.
    func writeIfFailed() {
        guard case .failure(let error) = reportValue.status else { return }
        TclLogLine(
            level: 3, facility: "ERROR",
            message: "publish to \(reportValue.brokerID ?? reportValue.socket.description) failed: \(error.message)"
        ).write(to: .stderr, client: "kafka::publish")
    }

    /// `id ID status delivered|failed key K message M topic T ?partition P offset O? ?error E code C?`.
    var report: TclObj {
        var elements: [TclObj] = [
            Tcl.new("id"), Tcl.new(reportValue.brokerID ?? ""),
            Tcl.new("socket"), Tcl.new(reportValue.socket.description),
        ]
        switch reportValue.status {
        case .success(let delivery):
            elements += [
                Tcl.new("status"), Tcl.new("delivered"),
                Tcl.new("topic"), Tcl.new(delivery.topic),
                Tcl.new("partition"), Tcl.new(delivery.partition),
                Tcl.new("offset"), TclMessage.offset(delivery.offset),
            ]
        case .failure(let error):
            elements += [
                Tcl.new("status"), Tcl.new("failed"),
                Tcl.new("error"), Tcl.new(error.message),
                Tcl.new("code"), Tcl.new(error.code.fullName),
            ]
        }
        elements += [Tcl.new("key"), TclMessage.bytes(reportValue.key ?? []), Tcl.new("message"), TclMessage.bytes(reportValue.message)]
        return Tcl.list(elements)
    }
}

/// Carries a value across a `@Sendable` boundary it never crosses in use.
struct TclUnchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// `::kafka::connection NAME ?-config FILE?`: a producer handle for a named connection of
/// kafka.conf (the same one each time for a name), with topics made by `new_topic`.
final class TclConnectionCommand: TclCommand {
    let state: TclConnectionState

    override func commandDeleted() { state.commandGone() }
    private var handles: [String: TclHandle] = [:]
    /// The master whose callbacks (delivery report, error, logger) connection handles use:
    /// `::kafka::connection_master`, made on first use.
    private var master: TclMaster?

    init(interp: TclInterp, name: String, state: TclConnectionState) {
        self.state = state
        super.init(interp: interp, name: name)
    }

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, "name ?-config file?") }
        let name = args.string(1)
        let options = try TclConnectionCommands.options(args, from: 2, allowed: ["-config"], usage: "name ?-config file?")
        let path = try TclConnectionCommands.configPath(options["-config"].map(Tcl.string))
        let key = "\(path)\u{0}\(name)"
        if let handle = handles[key], !handle.isDeleted { return Tcl.new(handle.qualifiedName) }
        let file = try state.file(path)
        guard let connection = file.connection(named: name) else {
            let known = file.connections.map(\.name).sorted().joined(separator: ", ")
            throw TclError(
                "no connection '\(name)' in \(file.path ?? "kafka.conf") (connections: \(known.isEmpty ? "none" : known))",
                errorCode: ["KAFKA", "CONFIG"])
        }
        let master = self.master ?? {
            let master = TclMaster(interp: interp, name: "::kafka::connection_master")
            master.register()
            self.master = master
            return master
        }()
        master.configuration = connection.configuration
        let handle = try TclHandle.makeProducer(interp: interp, name: TclAutoName.resolve(interp, "#auto", prefix: "kafka_handle"), master: master)
        handles[key] = handle
        return Tcl.new(handle.qualifiedName)
    }
}

/// `::kafka::publish TARGET MESSAGE ?-key K? ?-report CMD? ?-config FILE?`: TARGET is a broker
/// ID of kafka.conf or a socket (`kafka:HOST:PORT/TOPIC?PROPS`). Returns 1 once the message is
/// queued; CMD later gets its outcome from the event loop.
final class TclPublishCommand: TclCommand {
    let state: TclConnectionState

    override func commandDeleted() { state.commandGone() }

    init(interp: TclInterp, name: String, state: TclConnectionState) {
        self.state = state
        super.init(interp: interp, name: name)
    }

    static let usage = "target message ?-key key? ?-report command? ?-config file?"

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 3 else { throw .wrongArgs(1, Self.usage) }
        let options = try TclConnectionCommands.options(args, from: 3, allowed: ["-key", "-report", "-config"], usage: Self.usage)
        let target = args.string(1)
        let message = Self.bytes(args[2])
        let key = options["-key"].map(Self.bytes)
        let publisher = try state.publisher(options["-config"].map(Tcl.string))
        let report = state.reportHandler(options["-report"].map(TclScript.init))
        if target.contains("/") {
            let socket = try kafka { try KafkaSocket(parsing: target) }
            _ = try kafka { try publisher.publish(to: socket, message: message, key: key, report: report) }
        } else {
            _ = try kafka { try publisher.publish(broker: target, message: message, key: key, report: report) }
        }
        return Tcl.new(1)
    }

    static func bytes(_ obj: TclObj) -> [UInt8] {
        (try? Tcl.withBytes(obj) { (bytes) throws(TclError) in Array(bytes) }) ?? []
    }
}

/// `::kafka::event raise NAME PARAMS ?-key K? ?-json? ?-report CMD? ?-config FILE?`: publishes
/// the JSON-RPC notification of event NAME to every socket subscribed to it. PARAMS is a Tcl
/// dict (string values), or with `-json` a JSON object. Returns how many sockets it was queued for.
final class TclEventCommand: TclCommand {
    let state: TclConnectionState

    override func commandDeleted() { state.commandGone() }

    init(interp: TclInterp, name: String, state: TclConnectionState) {
        self.state = state
        super.init(interp: interp, name: name)
    }

    static let usage = "raise name params ?-key key? ?-json? ?-report command? ?-config file?"

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, Self.usage) }
        guard args.string(1) == "raise" else { throw .badWord("option", args.string(1), ["raise"]) }
        guard args.count >= 4 else { throw .wrongArgs(1, Self.usage) }
        var json = false
        var optionWords: [TclObj?] = [args[0]]
        for i in 4..<args.count {
            if args.string(i) == "-json" { json = true } else { optionWords.append(args[i]) }
        }
        let options = try optionWords.withUnsafeBufferPointer { (buffer) throws(TclError) in
            try TclConnectionCommands.options(
                TclArgs(interp: args.interp, objc: buffer.count, objv: buffer.baseAddress!), from: 1,
                allowed: ["-key", "-report", "-config"], usage: Self.usage)
        }
        let params: KafkaJSON
        if json {
            params = try kafka { try KafkaJSON(parsing: args.string(3)) }
            guard case .object = params else { throw TclError("event params must be a JSON object, not \(args.string(3))", errorCode: ["KAFKA", "ARGS"]) }
        } else {
            let words = try args.list(3)
            guard words.count % 2 == 0 else { throw TclError("event params must be a dict (key value ...), not \(args.string(3))", errorCode: ["KAFKA", "ARGS"]) }
            var members: [KafkaJSON.Member] = []
            for i in stride(from: 0, to: words.count, by: 2) {
                members.append(KafkaJSON.Member(Tcl.string(words[i]), .string(Tcl.string(words[i + 1]))))
            }
            params = .object(members)
        }
        let event = KafkaEvent(name: args.string(2), params: params, correlationKey: options["-key"].map(Tcl.string))
        let publisher = try state.publisher(options["-config"].map(Tcl.string))
        let report = state.reportHandler(options["-report"].map(TclScript.init))
        let queued = try kafka { try publisher.raise(event, report: report) }
        return Tcl.new(queued)
    }
}

/// Publishers shut down (delivering within their bound) when the process exits; the reports
/// their commands can no longer get then are written to stderr if they failed.
enum TclLivePublishers {
    private struct Live: Sendable {
        let publisher: KafkaEventPublisher
        let reports: TclInbox<TclPublishOutcome>
    }

    private static let live = Mutex<[Live]>([])

    static func add(_ publisher: KafkaEventPublisher, reports: TclInbox<TclPublishOutcome>) {
        live.withLock { $0.append(Live(publisher: publisher, reports: reports)) }
    }

    static func shutdownAll() {
        let all = live.withLock { l in
            defer { l = [] }
            return l
        }
        _ = try? TclBlocking.run {
            await withTaskGroup(of: Void.self) { group in
                for entry in all { group.addTask { _ = await entry.publisher.shutdown() } }
            }
        }
        // An inbox its interpreter closed already returns nothing here.
        for entry in all {
            for outcome in entry.reports.close() { outcome.writeIfFailed() }
        }
    }
}
