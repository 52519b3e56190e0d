import ArgumentParser
import KafkaKitConnections

/// `kafka show status` and `kafka show connection NAME`, in res_kafka's formats.
struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the configured connections.",
        subcommands: [Status.self, Connection.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every connection and its brokers, and the configuration file used.")

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
                    throw CLIFailure.configuration("no connection named '\(name)' (known: \(loaded.connections.map(\.name).joined(separator: ", ")))")
                }
                let rows: [(String, String)] = [
                    ("Name:", c.name),
                    ("Brokers:", c.brokers.joined(separator: ",")),
                    ("Client ID:", c.clientID),
                    ("Message max bytes:", String(c.messageMaxBytes)),
                    ("Request timeout:", "\(c.requestTimeoutMilliseconds) ms"),
                    ("Message timeout:", "\(c.messageTimeoutMilliseconds) ms"),
                ] + c.properties.sorted { $0.key < $1.key }.map { ("\($0.key):", $0.value) }
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
