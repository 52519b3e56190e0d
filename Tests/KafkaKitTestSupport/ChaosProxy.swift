import Foundation
import Synchronization

/// `scripts/chaos-proxy` in front of a broker: every connection through it is cut after a
/// random 0.5–1.5 s. Start the broker advertising ``port`` (``LocalBroker/init(advertisedPort:)``)
/// so that every connection a client makes goes through the proxy.
public final class ChaosProxy: @unchecked Sendable {
    public let port: Int
    private let process = Process()
    private let output = Pipe()
    private let stopped = Mutex(false)

    public init(port: Int, target: Int) throws {
        self.port = port
        process.executableURL = LocalBroker.root.appendingPathComponent("scripts/chaos-proxy")
        process.arguments = ["\(port)", "\(target)"]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let ready = output.fileHandleForReading.availableData
        guard String(decoding: ready, as: UTF8.self).hasPrefix("ready") else {
            process.terminate()
            throw LocalBroker.Failure(description: "scripts/chaos-proxy did not start")
        }
    }

    /// Stops the proxy (SIGKILL: a child of the test process may have SIGTERM blocked);
    /// returns its last count, "connections N cut M".
    @discardableResult
    public func stop() -> String {
        guard !stopped.withLock({ $0 }) else { return "" }
        stopped.withLock { $0 = true }
        kill(process.processIdentifier, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(process.processIdentifier, &status, 0)
        // Not read to the end of the pipe: a process the test started later may hold its
        // write end (inherited); what the proxy printed is in the pipe already.
        let text = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        return text.split(separator: "\n").last { $0.hasPrefix("connections") }.map(String.init) ?? ""
    }

    deinit { stop() }
}
