import ArgumentParser
import Foundation
import KafkaKit
import KafkaKitConnections
import Logging

/// Where `kafka.conf` comes from.
struct ConfigFileOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $KAFKA_CONF, ./kafka.conf, /etc/kafka/kafka.conf).")
    var config: String?

    /// The file to use, and how it was chosen; `nil` when none exists.
    func resolve() -> (path: String, source: String)? {
        if let config { return (config, "--config") }
        if let env = ProcessInfo.processInfo.environment["KAFKA_CONF"], !env.isEmpty { return (env, "KAFKA_CONF") }
        for path in ["./kafka.conf", "/etc/kafka/kafka.conf"] where FileManager.default.fileExists(atPath: path) {
            return (path, "default")
        }
        return nil
    }

    func load() throws -> KafkaConnectionsFile {
        guard let (path, _) = resolve() else {
            throw CLIFailure.configuration("no configuration file: pass --config PATH, set KAFKA_CONF, or create ./kafka.conf or /etc/kafka/kafka.conf")
        }
        do {
            return try KafkaConnectionsFile.load(path: path)
        } catch {
            throw CLIFailure.configuration(error.description)
        }
    }
}

/// How a command reaches the cluster: a named connection or brokers, plus librdkafka properties.
struct ConnectionOptions: ParsableArguments {
    @OptionGroup var file: ConfigFileOption

    @Option(name: .long, help: "A connection from the configuration file.")
    var connection: String?

    @Option(name: [.customShort("b"), .long], help: "Bootstrap brokers, HOST:PORT[,...] (instead of --connection; kcat's -b).")
    var brokers: String?

    @Option(name: .customShort("X"), help: ArgumentHelp(
        "A librdkafka property, NAME=VALUE (repeatable). -X list prints every property librdkafka knows; -X dump prints the effective configuration (secrets redacted); both then exit.",
        valueName: "property=value"))
    var properties: [String] = []

    @Option(name: .customShort("F"), help: ArgumentHelp(
        "A kcat configuration file of property=value lines, applied where kafka.conf's connection (or --brokers) sets nothing, before -X (default: $KCAT_CONFIG, else ~/.config/kcat.conf if it exists).",
        valueName: "file"))
    var propertiesFile: String?

    @Option(name: .customShort("d"), help: ArgumentHelp("librdkafka debug contexts, comma separated (all, or: \(KafkaVersion.debugContexts.joined(separator: ","))): its debug lines on stderr.", valueName: "contexts"))
    var debug: String?

    @Flag(name: .customShort("v"), help: "Verbose: -v shows librdkafka's log lines (its notices, warnings and errors) on stderr, -vv its debug lines too.")
    var verbosity: Int

    @Flag(name: .customShort("q"), help: "Quiet: only errors on stderr, no notes.")
    var quiet = false

    func validate() throws {
        if connection != nil && brokers != nil { throw ValidationError("use either --connection or --brokers, not both") }
        if quiet && verbosity > 0 { throw ValidationError("use either -q or -v, not both") }
        if let debug, debug.isEmpty { throw ValidationError("-d takes librdkafka debug contexts (all, or: \(KafkaVersion.debugContexts.joined(separator: ",")))") }
        for property in properties where !Self.modes.contains(property) && (!property.contains("=") || property.hasPrefix("=")) {
            throw ValidationError("-X takes NAME=VALUE, not '\(property)' (or list, or dump)")
        }
        if connection == nil && brokers == nil && !properties.contains("list"), try kcatFileOrExit()?.brokers == nil {
            throw ValidationError("say which cluster: --connection NAME or --brokers HOST:PORT (or bootstrap.servers in a kcat configuration file: -F FILE, $KCAT_CONFIG, ~/.config/kcat.conf)")
        }
        // librdkafka reads "host:x" as port 0, and an empty list as no brokers at all.
        if let brokers, let (message, position) = KafkaError.brokerListProblem(brokers) {
            throw ValidationError("bad --brokers: " + caretLine(KafkaError(code: .invalidArgument, message: message, position: position), text: brokers))
        }
    }

    /// The client configuration: the connection's (or the brokers'), then what the kcat
    /// configuration file sets and they do not, then -d and every -X property.
    func configuration() throws -> KafkaConfiguration {
        if properties.contains("list") {
            print(KafkaConfiguration.librdkafkaPropertyTable, terminator: "")
            throw ExitCode.success
        }
        var configuration: KafkaConfiguration
        if let name = connection {
            let file = try file.load()
            guard file.isEnabled else { throw CLIFailure.configuration("Kafka connections are disabled ([general] enabled = no) in \(file.path ?? "kafka.conf")") }
            guard let found = file.connection(named: name) else {
                throw CLIFailure.configuration(KafkaError.notDeclared("connection named", name, known: file.connections.map(\.name)).message)
            }
            configuration = found.configuration
        } else if let brokers {
            configuration = KafkaConfiguration(bootstrapServers: brokers.split(separator: ",").map(String.init))
        } else {
            configuration = KafkaConfiguration()  // the brokers come from the kcat file
        }
        if let kcat = try kcatFile() { kcat.fillIn(&configuration) }
        if let debug { configuration["debug"] = debug }
        for property in properties where !Self.modes.contains(property) {
            let parts = property.split(separator: "=", maxSplits: 1)
            configuration[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        if properties.contains("dump") {
            printDump(configuration)
            throw ExitCode.success
        }
        return configuration
    }

    /// `-X list` and `-X dump`: print, then exit.
    static let modes: Set<String> = ["list", "dump"]

    /// Where librdkafka's log lines go: stderr, at the level -v, -vv or -d asks for (none by default).
    var logger: Logger { cliLogger(verbosity: verbosity, debug: debug != nil) }

    /// An admin client for the cluster, logging as ``logger``. Unless -X says otherwise, it
    /// asks for the metadata of a topic without creating it: a producer (which an admin client
    /// is, to librdkafka) would have a broker with auto-creation create any topic named.
    func adminClient() throws -> KafkaAdminClient {
        var configuration = try configuration()
        if configuration["allow.auto.create.topics"] == nil { configuration["allow.auto.create.topics"] = "false" }
        return try KafkaAdminClient(configuration: configuration, logger: logger)
    }

    /// A note on stderr, unless -q.
    func note(_ text: String) {
        if !quiet { printError("kafka: " + text) }
    }
}

/// A failure the command reports on stderr with its exit code.
enum CLIFailure: Error, CustomStringConvertible {
    case configuration(String)
    case kafka(String)

    var description: String {
        switch self {
        case .configuration(let text), .kafka(let text): text
        }
    }

    var exitCode: Int32 {
        switch self {
        case .configuration: 2
        case .kafka: 1
        }
    }
}

/// Runs a command body, printing failures to stderr with the documented exit codes.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CLIFailure {
        printError("kafka: \(failure)")
        throw ExitCode(failure.exitCode)
    } catch let error as KafkaError {
        printError("kafka: \(error)")
        // A property librdkafka (or KafkaKit) rejects is the configuration's fault.
        throw ExitCode(error.code == .invalidArgument && error.property != nil ? 2 : 1)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Parses a command-line argument, turning a parse error into a usage error that shows where
/// the text went wrong.
func usage<T>(_ text: String, _ what: String, _ parse: () throws -> T) throws -> T {
    do {
        return try parse()
    } catch let error as KafkaError {
        throw ValidationError("bad \(what): " + caretLine(error, text: text))
    }
}

/// The error's message, then the text with a caret under the error's position — unless the
/// text holds a secret (a password or key property), which never appears in output.
func caretLine(_ error: KafkaError, text: String) -> String {
    guard let position = error.position, position >= 1, position <= text.count + 1, !text.contains("\n") else {
        return error.description
    }
    // Names percent-decoded, as the parser reads them; and a name without '=' whole.
    let names = text.split(whereSeparator: { $0 == "?" || $0 == "&" }).dropFirst().map { item in
        let name = String(item.split(separator: "=", maxSplits: 1).first ?? "")
        return name.removingPercentEncoding ?? name
    }
    if names.contains(where: KafkaConfiguration.isSensitive) {
        return "\(error.message) (at position \(position))"
    }
    return "\(error.message)\n  \(text)\n  \(String(repeating: " ", count: position - 1))^"
}

/// Runs `body`, turning a ``KafkaError`` into a configuration failure (exit 2).
func configurationFailure<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as KafkaError {
        throw CLIFailure.configuration(error.description)
    }
}

/// Refuses a name Kafka does not allow for a topic — 1 to 249 of `a-z A-Z 0-9 . _ -`, and
/// neither `.` nor `..` — before anything reaches a broker (which would refuse it record by
/// record, or not at all when there are none).
func validateTopicName(_ name: String) throws {
    if let error = KafkaError.invalidTopicName(name) { throw ValidationError(error.message) }
}
