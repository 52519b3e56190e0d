import Foundation
public import KafkaKit

/// The TLS test environment of `scripts/tls-broker`: stunnel in front of two Tansu brokers that
/// advertise the TLS ports, with certificates made by openssl in a temporary directory.
/// Started once per test process, on first use, and stopped when the process exits (and by the
/// script's own watcher if the process dies).
///
/// Like the other integration suites, TLS suites run when `KAFKA_BOOTSTRAP_SERVERS` is set
/// and stunnel is installed — and always under `CI=true`, where a missing stunnel or broker
/// makes them fail, not skip.
public struct TLSTestBroker: Sendable {
    /// The directory with `ca.pem`, `other-ca.pem`, `client.pem`, `client.key` and the logs.
    public let directory: String
    /// stunnel: TLS to the first broker (which advertises this port).
    public let tlsPort: Int
    /// stunnel with `verify = 2`: mutual TLS to the second broker (which advertises this port).
    public let mutualTLSPort: Int
    /// stunnel presenting a certificate for `wrong.example.invalid`, signed by the right CA.
    public let wrongHostPort: Int
    /// A plain Tansu started with `--authentication`: SASL SCRAM required, no users.
    public let saslPort: Int

    /// The passphrase of `client.key` (what `ssl.key.password` must say): a canary that the
    /// secrets tests look for in every output.
    public static let clientKeyPassword = "S3cr3t-Canary-KeyPass"

    public var tlsServers: String { "127.0.0.1:\(tlsPort)" }
    public var mutualTLSServers: String { "127.0.0.1:\(mutualTLSPort)" }
    public var wrongHostServers: String { "127.0.0.1:\(wrongHostPort)" }
    public var saslServers: String { "127.0.0.1:\(saslPort)" }
    public func path(_ file: String) -> String { directory + "/" + file }

    public static var stunnelInstalled: Bool {
        ["/usr/bin/stunnel4", "/usr/bin/stunnel", "/usr/local/bin/stunnel", "/opt/homebrew/bin/stunnel"]
            .contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether the TLS suites run (see the type's documentation).
    public static var shouldRun: Bool { TestBroker.isRequired || (TestBroker.bootstrapServers != nil && stunnelInstalled) }

    /// The environment of this process, started on first use.
    public static func shared() throws -> TLSTestBroker { try started.get() }

    /// A TLS client configuration for `servers`: the CA to trust, and the host name checked
    /// against the certificate (`https`, librdkafka's default, set explicitly here).
    public func configuration(servers: String, ca: String = "ca.pem") -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: [servers])
        configuration["security.protocol"] = "ssl"
        configuration["ssl.ca.location"] = path(ca)
        configuration["ssl.endpoint.identification.algorithm"] = "https"
        return configuration
    }

    /// ``configuration(servers:ca:)`` for the mutual-TLS port with the client certificate and
    /// its passphrase-protected key.
    public func mutualTLSConfiguration() -> KafkaConfiguration {
        var configuration = configuration(servers: mutualTLSServers)
        configuration["ssl.certificate.location"] = path("client.pem")
        configuration["ssl.key.location"] = path("client.key")
        configuration["ssl.key.password"] = Self.clientKeyPassword
        return configuration
    }

    /// The repository's root (scripts/ lives there).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    private static let started = Result { () throws -> TLSTestBroker in try start() }

    private static func start() throws -> TLSTestBroker {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kafkakit-tls-\(getpid())-\(UUID().uuidString.prefix(8))").path
        let (status, output) = try runScript(["start", directory, String(getpid())])
        guard status == 0 else { throw TLSTestBrokerFailed(message: "scripts/tls-broker start failed (\(status)): \(output)") }
        var ports: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let port = Int(parts[1]) { ports[String(parts[0])] = port }
        }
        guard let tls = ports["TLS_PORT"], let mtls = ports["MTLS_PORT"], let wrong = ports["WRONGHOST_PORT"], let sasl = ports["SASL_PORT"] else {
            throw TLSTestBrokerFailed(message: "scripts/tls-broker start printed no ports: \(output)")
        }
        stopDirectory = strdup(directory)
        atexit {
            guard let directory = stopDirectory else { return }
            _ = try? TLSTestBroker.runScript(["stop", String(cString: directory)])
            // The certificates and keys were for this run only.
            try? FileManager.default.removeItem(atPath: String(cString: directory))
        }
        return TLSTestBroker(directory: directory, tlsPort: tls, mutualTLSPort: mtls, wrongHostPort: wrong, saslPort: sasl)
    }

    /// Runs scripts/tls-broker; its exit status and its output (standard output and error).
    @discardableResult
    static func runScript(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: repositoryRoot + "/scripts/tls-broker")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TLS_CLIENT_KEY_PASSWORD"] = clientKeyPassword
        process.environment = environment
        // Output to a file, not a pipe: the brokers the script starts in the background must
        // not keep the caller waiting for an end of file.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tls-broker-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let data = (try? Data(contentsOf: output)) ?? Data()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Set once, by the first start; read by the exit handler (a C function pointer captures nothing).
nonisolated(unsafe) private var stopDirectory: UnsafeMutablePointer<CChar>? = nil

public struct TLSTestBrokerFailed: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
