import ArgumentParser
import KafkaKit
import KafkaKitConnections
import KafkaKitEvents

/// `kafka show status` and `kafka show connection NAME`, in res_kafka's formats.
struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the configured connections.",
        subcommands: [Status.self, Connection.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every connection and its brokers (and any broker IDs and subscriptions), and the configuration file used.",
            discussion: """
                JSON: {"file","source","enabled","connections":[{"name","brokers"}],"brokers":[{"id","socket"}], \
                "subscriptions":[{"event","sockets"}]}.
                """)

        @OptionGroup var file: ConfigFileOption
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await reportingFailures {
                let loaded = try file.load()
                let (path, source) = file.resolve()!
                if output.isJSON {
                    printJSON([
                        "file": .string(path), "source": .string(source), "enabled": .bool(loaded.isEnabled),
                        "connections": .array(loaded.connections.map { ["name": .string($0.name), "brokers": .array($0.brokers.map { .string($0) })] }),
                        "brokers": .array(loaded.brokers.map { ["id": .string($0.id), "socket": .string($0.socket.description)] }),
                        "subscriptions": .array(loaded.subscriptions.map { ["event": .string($0.event), "sockets": .array($0.sockets.map { .string($0.description) })] }),
                    ])
                    return
                }
                print("Configuration file: \(path) (\(source))\(loaded.isEnabled ? "" : " - connections disabled")")
                print("Connections:")
                print("Name".padding(toLength: 15) + " Brokers")
                for connection in loaded.connections {
                    print(connection.name.padding(toLength: 15) + " " + connection.brokers.joined(separator: ","))
                }
                // Beyond the seed: broker IDs and subscriptions, listed only when there are any
                // (so a seed-style file prints exactly the seed's output).
                if !loaded.brokers.isEmpty {
                    print("Brokers:")
                    print("ID".padding(toLength: 15) + " Socket")
                    for broker in loaded.brokers { print(broker.id.padding(toLength: 15) + " " + broker.socket.description) }
                }
                if !loaded.subscriptions.isEmpty {
                    print("Subscriptions:")
                    print("Event".padding(toLength: 15) + " Socket")
                    for subscription in loaded.subscriptions {
                        for socket in subscription.sockets { print(subscription.event.padding(toLength: 15) + " " + socket.description) }
                    }
                }
            }
        }
    }

    struct Connection: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one connection's settings.",
            discussion: """
                JSON: {"name","brokers","client_id","message_max_bytes","request_timeout_ms", \
                "message_timeout_ms","properties":{...}} (secret values redacted).
                """)

        @OptionGroup var file: ConfigFileOption
        @OptionGroup var output: OutputOptions
        @Argument(help: "The connection's name.") var name: String

        func run() async throws {
            try await reportingFailures {
                let loaded = try file.load()
                guard let c = loaded.connection(named: name) else {
                    throw CLIFailure.configuration(KafkaError.notDeclared("connection named", name, known: loaded.connections.map(\.name)).message)
                }
                if output.isJSON {
                    printJSON([
                        "name": .string(c.name), "brokers": .array(c.brokers.map { .string($0) }), "client_id": .string(c.clientID),
                        "message_max_bytes": .number(c.messageMaxBytes), "request_timeout_ms": .number(c.requestTimeoutMilliseconds),
                        "message_timeout_ms": .number(c.messageTimeoutMilliseconds),
                        "properties": .object(c.properties.sorted { $0.key < $1.key }.map {
                            KafkaJSON.Member($0.key, .string(KafkaConfiguration.shownValue($0.value, of: $0.key)))
                        }),
                    ])
                    return
                }
                let rows: [(String, String)] = [
                    ("Name:", c.name),
                    ("Brokers:", c.brokers.joined(separator: ",")),
                    ("Client ID:", c.clientID),
                    ("Message max bytes:", String(c.messageMaxBytes)),
                    ("Request timeout:", "\(c.requestTimeoutMilliseconds) ms"),
                    ("Message timeout:", "\(c.messageTimeoutMilliseconds) ms"),
                ] + c.properties.sorted { $0.key < $1.key }.map {
                    ("\($0.key):", KafkaConfiguration.shownValue($0.value, of: $0.key))
                }
                for (label, value) in rows { print(label.padding(toLength: 18) + " " + value) }
            }
        }
    }
}

extension String {
    /// Left-aligned in `width` columns (never truncated).
    func padding(toLength width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
