import ArgumentParser
import Foundation
import KafkaKit
import Logging
import _KafkaKitCLISupport

/// kcat's configuration file (`-F`, `$KCAT_CONFIG`, `~/.config/kcat.conf`): librdkafka
/// properties, one `name=value` a line, so that kcat users' settings carry over.
struct KcatConfigFile {
    let path: String
    let entries: [KafkaPropertiesFile.Entry]

    /// The brokers it names (`bootstrap.servers` or its alias `metadata.broker.list`), if any.
    var brokers: String? {
        entries.last { ["bootstrap.servers", "metadata.broker.list"].contains($0.name) && !$0.value.isEmpty }?.value
    }

    /// Sets every property of the file that `configuration` does not set already, under this
    /// name or another of the same property (`bootstrap.servers` and `metadata.broker.list`,
    /// `linger.ms` and `queue.buffering.max.ms`, ...): kafka.conf's connection and --brokers
    /// come first.
    func fillIn(_ configuration: inout KafkaConfiguration) {
        // KafkaKit's own defaults (the partitioner) give way to the file's.
        let defaults = KafkaConfiguration().properties
        let set = Set(configuration.properties.filter { defaults[$0.key] != $0.value }.keys.map(Self.canonical))
        for entry in entries where !set.contains(Self.canonical(entry.name)) {
            configuration[entry.name] = entry.value
        }
    }

    /// The name librdkafka's property goes by when `name` is an alias of it.
    static func canonical(_ name: String) -> String { aliases[name] ?? name }

    private static let aliases: [String: String] = KafkaConfiguration.librdkafkaProperties.reduce(into: [:]) { map, property in
        if let target = property.aliasOf { map[property.name] = target }
    }
}

extension ConnectionOptions {
    /// The kcat configuration file in effect: -F FILE, else $KCAT_CONFIG, else
    /// ~/.config/kcat.conf when it exists; `nil` if there is none.
    ///
    /// - Throws: A configuration failure (exit 2) naming the file, and the line that is not
    ///   `property=value` (its text left out: it may hold a secret).
    func kcatFile() throws -> KcatConfigFile? {
        let environment = ProcessInfo.processInfo.environment
        let path: String
        if let propertiesFile {
            path = propertiesFile
        } else if let variable = environment["KCAT_CONFIG"], !variable.isEmpty {
            path = variable
        } else if let home = environment["HOME"], !home.isEmpty, FileManager.default.fileExists(atPath: home + "/.config/kcat.conf") {
            path = home + "/.config/kcat.conf"
        } else {
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure.configuration("cannot read the kcat configuration file \(path)")
        }
        do throws(KafkaPropertiesFile.Problem) {
            return KcatConfigFile(path: path, entries: try KafkaPropertiesFile.parse(String(decoding: data, as: UTF8.self)))
        } catch {
            throw CLIFailure.configuration("\(path):\(error.line): \(error.reason)")
        }
    }

    /// ``kcatFile()`` from `validate()`, where a thrown failure would exit 1: its failure is
    /// printed and the command exits 2, as a configuration error.
    func kcatFileOrExit() throws -> KcatConfigFile? {
        do {
            return try kcatFile()
        } catch let failure as CLIFailure {
            printError("kafka: \(failure)")
            throw ExitCode(failure.exitCode)
        }
    }

    /// `-X dump`: every property librdkafka would use, as kcat prints them (secrets redacted).
    func printDump(_ configuration: KafkaConfiguration) {
        let entries: [KafkaConfigurationEntry]
        do {
            entries = try configuration.effectiveProperties()
        } catch {
            printError("kafka: \(error)")
            Foundation.exit(2)
        }
        print("# Global config")
        for entry in entries where entry.scope == .global { print(entry) }
        print("# Topic config")
        for entry in entries where entry.scope == .topic { print(entry) }
    }
}

/// The command's logger: stderr, at the level -v (info: librdkafka's notices, warnings and
/// errors, which KafkaKit logs at info), -vv or -d (debug) asks for; above info otherwise,
/// which keeps librdkafka quiet.
func cliLogger(verbosity: Int, debug: Bool) -> Logger {
    var logger = Logger(label: "kafka") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = debug || verbosity >= 2 ? .debug : verbosity == 1 ? .info : .notice
    return logger
}
