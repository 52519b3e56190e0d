public import Logging
import Synchronization

/// Log lines captured from a `Logger` made with ``CapturingLogHandler``.
public final class CapturedLogs: Sendable {
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        /// The line's metadata (the logger's and the call's), as `key=value` pairs.
        public var metadata: String = ""
    }

    private let storage = Mutex<[Entry]>([])

    public init() {}

    public func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }
    public var entries: [Entry] { storage.withLock { $0 } }
    /// Each entry as "LEVEL message".
    public var lines: [String] { entries.map { "\($0.level) \($0.message)" } }
    /// Each entry as "LEVEL message [metadata]": everything a log handler could print.
    public var fullLines: [String] { entries.map { "\($0.level) \($0.message) [\($0.metadata)]" } }
}

/// A `LogHandler` that records every line at every level into ``CapturedLogs``.
public struct CapturingLogHandler: LogHandler {
    public let logs: CapturedLogs
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(_ logs: CapturedLogs) { self.logs = logs }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, call in call }
        let text = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        logs.append(.init(level: event.level, message: "\(event.message)", metadata: text))
    }
}
