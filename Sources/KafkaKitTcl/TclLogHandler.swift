import KafkaKit
import Logging
import Synchronization

/// The swift-log handler of a Tcl handle's KafkaKit client: each line goes to the master's
/// `logger` destination — stderr or syslog at once, from whatever thread logs it, or to the
/// Tcl callback through the handle's inbox.
struct TclLogHandler: LogHandler {
    let destination: TclLogDestination
    /// The Tcl command of the handle, shown in stderr and syslog lines.
    let client: String
    /// The handle's `log_level`: KafkaKit's own lines above it are dropped (librdkafka
    /// filters its own lines by the same level).
    let threshold: TclLogThreshold
    let post: @Sendable (TclLogLine) -> Void
    var metadata: Logger.Metadata = [:]
    // librdkafka's own `log_level` filters what it formats; everything it sends is passed on.
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let facility = event.metadata?["kafka.facility"].map { "\($0)" } ?? "KAFKAKIT"
        let original = event.metadata?["kafka.level"].flatMap { Logger.Level(rawValue: "\($0)") } ?? event.level
        let level = Int32(original.syslogLevel)
        guard level <= threshold.level else { return }
        let line = TclLogLine(level: level, facility: facility, message: "\(event.message)")
        let kind = destination.current
        if kind == .callback { post(line) } else { line.write(to: kind, client: client) }
    }
}

/// A handle's `log_level` (syslog 0–7), read by KafkaKit's threads.
final class TclLogThreshold: Sendable {
    private let value = Mutex<Int32>(6)

    var level: Int32 {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
