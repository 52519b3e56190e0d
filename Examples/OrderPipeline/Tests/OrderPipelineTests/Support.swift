import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The built `OrderPipeline` executable, running: started with the given environment, its
/// stderr (the log) kept in a file, its HTTP port read from its first stdout line.
final class ServiceProcess: Sendable {
    let port: Int
    private let process: Process
    private let logURL: URL

    init(environment: [String: String]) throws {
        let executable = Self.productsDirectory.appendingPathComponent("OrderPipeline")
        let process = Process()
        process.executableURL = executable
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("order-pipeline-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logURL)
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        let reader = out.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let portText = text.split(separator: "\n").first?.split(separator: ":").last, let port = Int(portText) else {
            process.terminate()
            throw ServiceError(description: "OrderPipeline did not say where it listens (stdout: \(text)); log:\n" + (try String(contentsOf: logURL, encoding: .utf8)))
        }
        self.port = port
        self.process = process
        self.logURL = logURL
    }

    func terminate() { kill(process.processIdentifier, SIGTERM) }

    /// Waits for the process to end (SIGKILL after 90 s) and returns its exit status.
    func waitForExit() -> Int32 {
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 90, execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()
        return process.terminationStatus
    }

    func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }
}

struct ServiceError: Error, CustomStringConvertible {
    var description: String
}

/// A blocking HTTP/1.1 client for one request per connection (`Connection: close`).
enum HTTPClient {
    enum Outcome: Equatable {
        /// The server answered with this status.
        case answered(Int)
        /// The server did not take the request: the connection was refused, or closed before a
        /// byte of a response came.
        case notTaken
    }

    static func post(port: Int, path: String, body: [UInt8]) -> Outcome {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .notTaken }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 { return .notTaken }
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return .notTaken }
            sent += n
        }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        // "HTTP/1.1 202 Accepted"
        let statusLine = response.prefix { $0 != UInt8(ascii: "\r") }
        let parts = String(decoding: statusLine, as: UTF8.self).split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return .notTaken }
        return .answered(status)
    }
}
