import ArgumentParser
import Foundation
import KafkaKit
import KafkaKitConnections
import KafkaKitEvents

/// `kafka event raise NAME ...`: publish a JSON-RPC event to its sockets.
struct Event: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Raise events (JSON-RPC 2.0 notifications).", subcommands: [Raise.self])

    struct Raise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish an event to each --socket, or to the sockets subscribed to it in kafka.conf.",
            discussion: """
                The record is {"jsonrpc":"2.0","method":NAME,"params":{...}}. Params come from \
                --params-json (an object), then each --param: KEY=VALUE sets a string, KEY:=JSON a \
                JSON value (a number, true, an array...). On sockets with key=callid the record \
                key is --key. Prints one line per socket (--output json: [{"socket","status":0|-1, \
                "partition","offset"} or {"socket","status","error","reason"}]); exits 1 if any \
                delivery failed.
                """
        )

        @OptionGroup var file: ConfigFileOption
        @OptionGroup var output: OutputOptions

        @Argument(help: "The event's name, such as E_PIKE_BLOCKED.")
        var name: String

        @Option(name: .long, help: ArgumentHelp("A parameter: KEY=VALUE (a string) or KEY:=JSON (repeatable).", valueName: "key=value"))
        var param: [String] = []

        @Option(name: .customLong("params-json"), help: ArgumentHelp("The params object as JSON.", valueName: "json"))
        var paramsJSON: String?

        @Option(name: .long, help: "The correlation key (the seed's Call-ID): the record key on sockets with key=callid.")
        var key: String?

        @Option(name: .long, help: ArgumentHelp("A kafka: socket to publish to (repeatable; default: the event's subscriptions in kafka.conf).", valueName: "socket"))
        var socket: [String] = []

        @Flag(name: .customLong("dry-run"), help: "Print the notification instead of publishing it.")
        var dryRun = false

        func event() throws -> KafkaEvent {
            guard !name.isEmpty else { throw ValidationError("the event name is empty") }
            var params: KafkaJSON = [:]
            if let paramsJSON {
                params = try usage(paramsJSON, "--params-json") { try KafkaJSON(parsing: paramsJSON) }
                guard case .object = params else { throw ValidationError("--params-json must be a JSON object ({...}), not \(paramsJSON)") }
            }
            for entry in param {
                if let typed = entry.range(of: ":="), !entry[..<typed.lowerBound].contains("=") {
                    let name = String(entry[..<typed.lowerBound])
                    let json = String(entry[typed.upperBound...])
                    guard !name.isEmpty else { throw ValidationError("--param '\(entry)' has no key before ':='") }
                    params.set(name, try usage(json, "--param \(name)") { try KafkaJSON(parsing: json) })
                } else if let equals = entry.firstIndex(of: "=") {
                    let name = String(entry[..<equals])
                    guard !name.isEmpty else { throw ValidationError("--param '\(entry)' has no key before '='") }
                    params.set(name, .string(String(entry[entry.index(after: equals)...])))
                } else {
                    throw ValidationError("--param takes KEY=VALUE or KEY:=JSON, not '\(entry)'")
                }
            }
            return KafkaEvent(name: name, params: params, correlationKey: key)
        }

        func sockets() throws -> [KafkaSocket] {
            try socket.map { text in try usage(text, "--socket") { try KafkaSocket(parsing: text) } }
        }

        func validate() throws {
            _ = try event()
            _ = try sockets()
        }

        func run() async throws {
            let event = try event()
            var sockets = try sockets()
            try await reportingFailures {
                if dryRun {
                    print(event.jsonRPC)
                    return
                }
                if sockets.isEmpty {
                    let loaded = try file.load()
                    sockets = loaded.sockets(subscribedTo: event.name)
                    guard !sockets.isEmpty else {
                        throw CLIFailure.configuration(
                            "nothing subscribes to \(event.name) in \(loaded.path ?? "kafka.conf"): pass --socket kafka:HOST:PORT/TOPIC, "
                                + "or add a section with type = subscription, event = \(event.name), socket = ...")
                    }
                }
                let publisher = try KafkaEventPublisher()
                let reports = await publisher.raiseAndWait(event, to: sockets)
                await publisher.shutdown()
                var failed = 0
                if output.isJSON {
                    printJSON(.array(reports.map { report in
                        switch report.status {
                        case .success(let delivery):
                            return ["socket": .string(report.socket.description), "status": 0, "partition": .number(delivery.partition), "offset": .number(delivery.offset)]
                        case .failure(let error):
                            failed += 1
                            return ["socket": .string(report.socket.description), "status": -1, "error": .string(error.code.name), "reason": .string(error.message)]
                        }
                    }))
                    if failed > 0 { throw ExitCode(1) }
                    return
                }
                for report in reports {
                    switch report.status {
                    case .success(let delivery):
                        print("Delivered \(event.name) to \(report.socket): partition \(delivery.partition), offset \(delivery.offset)")
                    case .failure(let error):
                        failed += 1
                        printError("kafka: \(event.name) not delivered to \(report.socket): \(error)")
                    }
                }
                if failed > 0 { throw ExitCode(1) }
            }
        }
    }
}
