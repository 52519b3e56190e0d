import ArgumentParser
import KafkaKit
import KafkaKitConnections

/// `kafka show status` and `kafka show connection NAME`, in res_kafka's formats.
struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the configured connections.",
        subcommands: [Status.self, Connection.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every connection and its brokers (and any broker IDs and subscriptions), and the configuration file used.")

        @OptionGroup var file: ConfigFileOption

        func run() async throws {
            try await reportingFailures {
                let loaded = try file.load()
                let (path, source) = file.resolve()!
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
        static let configuration = CommandConfiguration(abstract: "Show one connection's settings.")

        @OptionGroup var file: ConfigFileOption
        @Argument(help: "The connection's name.") var name: String

        func run() async throws {
            try await reportingFailures {
                let loaded = try file.load()
                guard let c = loaded.connection(named: name) else {
                    throw CLIFailure.configuration(KafkaError.notDeclared("connection named", name, known: loaded.connections.map(\.name)).message)
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
