import CTcl
import KafkaKit

/// `::kafka::kafka create NAME`: a configuration and callbacks that producer and consumer
/// handles are created from.
final class TclMaster: TclCommand {
    var configuration: KafkaConfiguration
    let callbacks = TclCallbacks()

    override init(interp: TclInterp, name: String) {
        configuration = KafkaConfiguration()
        // librdkafka's own default: it filters the lines our log handler receives.
        configuration.properties["log_level"] = "6"
        super.init(interp: interp, name: name)
    }

    static let subcommands = [
        "config", "topic_config", "partitioner", "delivery_report", "error_callback", "statistics_callback",
        "logger", "producer_creator", "consumer_creator", "subscriber", "delete",
        "create_producer", "create_consumer", "set_delivery_report_callback", "set_error_callback",
        "set_statistics_callback", "set_socket_callback",
    ]

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, "subcommand ?args?") }
        let sub = args.string(1)
        switch sub {
        case "config":
            return try Self.configure(args, &configuration, scope: .global)
        case "topic_config":
            return try Self.configure(args, &configuration, scope: .topic)
        case "partitioner":
            try args.expect(3, words: 2, "name")
            let word = args.string(2)
            guard KafkaConfiguration.Partitioner(rawValue: word) != nil else {
                throw .badWord("partitioner", word, KafkaConfiguration.Partitioner.allCases.map(\.rawValue))
            }
            configuration.properties["partitioner"] = word
        case "delivery_report":
            return try deliveryReport(args)
        case "set_delivery_report_callback":
            try args.expect(3, words: 2, "command")
            callbacks.deliveryReport = Self.script(args[2])
        case "error_callback", "set_error_callback":
            try args.expect(3, words: 2, "command")
            callbacks.error = Self.script(args[2])
        case "statistics_callback", "set_statistics_callback":
            try args.expect(3, words: 2, "command")
            callbacks.statistics = Self.script(args[2])
        case "set_socket_callback":
            throw TclError("set_socket_callback is not supported: librdkafka opens its own sockets", errorCode: ["KAFKA", "UNSUPPORTED"])
        case "logger":
            try logger(args)
        case "producer_creator", "create_producer":
            try args.expect(3, words: 2, "name")
            let handle = try TclHandle.makeProducer(
                interp: interp, name: TclAutoName.resolve(interp, args.string(2), prefix: "kafka_handle"), master: self)
            return Tcl.new(handle.qualifiedName)
        case "consumer_creator", "create_consumer":
            try args.expect(3, words: 2, "name")
            let handle = try TclHandle.makeConsumer(
                interp: interp, name: TclAutoName.resolve(interp, args.string(2), prefix: "kafka_handle"), master: self)
            return Tcl.new(handle.qualifiedName)
        case "subscriber":
            try args.expect(3, words: 2, "name")
            let subscriber = try TclSubscriber.make(
                interp: interp, name: TclAutoName.resolve(interp, args.string(2), prefix: "kafka_handle"), master: self)
            return Tcl.new(subscriber.qualifiedName)
        case "delete":
            try args.expect(2, words: 2, "")
            deleteCommand()
        default:
            throw .badWord("option", sub, Array(Self.subcommands.prefix(11)))
        }
        return nil
    }

    /// `delivery_report callback CMD | every N | sample`.
    private func deliveryReport(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 3 else { throw .wrongArgs(2, "callback command | every count | sample") }
        switch args.string(2) {
        case "callback":
            try args.expect(4, words: 3, "command")
            callbacks.deliveryReport = Self.script(args[3])
        case "every":
            try args.expect(3, 4, words: 3, "?count?")
            if args.count == 3 { return Tcl.new(callbacks.selection.every) }
            let n = try args.int(3)
            guard n >= 0 else { throw TclError("delivery_report every: count must be 0 or more, not \(n)", errorCode: ["KAFKA", "ARGS"]) }
            callbacks.selection.setEvery(n)
        case "sample":
            try args.expect(3, words: 3, "")
            callbacks.selection.sample()
        default:
            throw .badWord("option", args.string(2), ["callback", "every", "sample"])
        }
        return nil
    }

    /// `logger syslog|stderr|callback CMD`.
    private func logger(_ args: TclArgs) throws(TclError) {
        guard args.count >= 3 else { throw .wrongArgs(2, "syslog|stderr|none|callback ?command?") }
        switch args.string(2) {
        case "none":
            try args.expect(3, words: 3, "")
            callbacks.logDestination.current = .none
        case "syslog":
            try args.expect(3, words: 3, "")
            callbacks.logDestination.current = .syslog
        case "stderr":
            try args.expect(3, words: 3, "")
            callbacks.logDestination.current = .stderr
        case "callback":
            try args.expect(4, words: 3, "command")
            callbacks.logCallback = TclScript(args[3])
            callbacks.logDestination.current = .callback
        default:
            throw .badWord("logger", args.string(2), ["syslog", "stderr", "none", "callback"])
        }
    }

    /// An empty command clears a callback.
    static func script(_ obj: TclObj) -> TclScript? {
        Tcl.string(obj).isEmpty ? nil : TclScript(obj)
    }

    /// `config ?key value ...?` and `topic_config ?key value ...?`: with no arguments, every
    /// effective property as a flat list (secrets redacted); with pairs, sets them — all or
    /// none: the first one librdkafka rejects fails the call and nothing changes.
    static func configure(
        _ args: TclArgs, _ configuration: inout KafkaConfiguration, scope: KafkaConfigurationEntry.Scope
    ) throws(TclError) -> TclObj? {
        if args.count == 2 {
            let entries = try kafka { try configuration.effectiveProperties() }
            return Tcl.list(entries.filter { $0.scope == scope }.flatMap { [$0.name, $0.value] })
        }
        guard args.count % 2 == 0 else { throw .wrongArgs(2, "?key value ...?") }
        var changed = configuration
        for i in stride(from: 2, to: args.count, by: 2) {
            let key = args.string(i), value = args.string(i + 1)
            if scope == .global { changed.properties[key] = value } else { changed.topicProperties[key] = value }
        }
        _ = try kafka { try changed.effectiveProperties() }
        configuration = changed
        return nil
    }
}
