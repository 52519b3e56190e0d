import ArgumentParser
import Foundation
import KafkaKit

/// The `kafka` command: res_kafka's CLI commands, plus what an operator uses kcat for.
///
/// Exit codes: 0 success; 1 a Kafka operation failed (an error, an undelivered message);
/// 2 the configuration file or a connection name is wrong; 64 a usage error. `consume` and
/// `produce` stopped by SIGINT or SIGTERM exit 0 (or 1, records not delivered) after a clean
/// stop; a second signal ends them at once by that signal (130, 143).
@main
struct Kafka: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Produce, consume and administer Kafka from the command line (KafkaKit, librdkafka).",
        discussion: """
            Connections come from kafka.conf: --config PATH, else $KAFKA_CONF, else ./kafka.conf, \
            else /etc/kafka/kafka.conf. Exit codes: 0 success, 1 Kafka operation failed, \
            2 configuration error, 64 usage error; consume and produce stopped by SIGINT or \
            SIGTERM exit 0 (1: records not delivered) after a clean stop, by that signal (130, \
            143) after a second one. kafka -X list [--output json] prints every property of the \
            librdkafka linked at run time, with its description.
            """,
        subcommands: [Show.self, Test.self, Produce.self, Consume.self, Metadata.self, Topics.self, Groups.self, Offsets.self, Records.self, Publish.self, Event.self, Mock.self]
    )

    @Flag(name: [.customShort("V"), .customLong("version")], help: "Print the versions of KafkaKit and of the librdkafka it runs on.")
    var version = false

    func run() async throws {
        if version {
            printVersions()
        } else {
            throw CleanExit.helpRequest(self)
        }
    }

    /// Handles `kafka -X list [--output json]` as kcat users type it, then parses the rest.
    /// -X is the commands' option: swift-argument-parser hands an option that a command shares
    /// with its parent to the parent, so the root cannot declare one.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments {
        case ["-X", "list"], ["-Xlist"]: printProperties(json: false)
        case ["-X", "list", "--output", "json"], ["-Xlist", "--output", "json"], ["--output", "json", "-X", "list"]: printProperties(json: true)
        case ["-X", "list", "--output", "text"], ["--output", "text", "-X", "list"]: printProperties(json: false)
        default: await runCommand()
        }
    }

    /// swift-argument-parser's `main`, with one step before the exit: every librdkafka client
    /// the command made is destroyed first (see ``KafkaOpenClients``).
    static func runCommand() async {
        var failure: (any Error)?
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            failure = error
        }
        exitAfterClientsClosed(failure)
    }

    /// How long the exit waits for the clients' destroys (a consumer's may leave its group).
    static let clientCloseTimeout: Duration = .seconds(10)

    /// Exits as swift-argument-parser does, once the command's clients are destroyed. A client
    /// still open then is a bug (a reference kept past its use): it is reported, and the exit
    /// handlers are skipped, as OpenSSL's would clean up under librdkafka's running threads.
    static func exitAfterClientsClosed(_ failure: (any Error)?) -> Never {
        let open = KafkaOpenClients.waitUntilAllDestroyed(timeout: clientCloseTimeout)
        guard open > 0 else { exit(withError: failure) }
        let message = failure.map { fullMessage(for: $0) } ?? ""
        let code = failure.map { exitCode(for: $0).rawValue } ?? 0
        if !message.isEmpty { (code == 0 ? print(message) : printError(message)) }
        printError("kafka: internal error: \(open) librdkafka client\(open == 1 ? " was" : "s were") still open at exit (please report this)")
        fflush(nil)
        _exit(code)
    }
}
