import Logging

extension Logger {
    /// One librdkafka log line, its facility under `kafka.facility` and librdkafka's own level
    /// under `kafka.level`. A library logs at `info` or below (swift-log's rule): librdkafka's
    /// notices, warnings and errors are logged at `info` — what the application must act on
    /// reaches it as an error event or a thrown error — and its debug lines at `debug`.
    func logLibrdkafka(level: Int32, facility: UnsafePointer<CChar>?, text: UnsafePointer<CChar>?) {
        let original = Logger.Level(syslogLevel: level)
        log(
            level: original >= .info ? .info : original,
            "\(text.map { String(cString: $0) } ?? "")",
            metadata: [
                KafkaLogMetadataKey.facility: "\(facility.map { String(cString: $0) } ?? "")",
                KafkaLogMetadataKey.level: "\(original)",
            ]
        )
    }
}

extension Logger.Level {
    /// The syslog level (librdkafka's `log_level`) that lets through this level and above
    /// (package use: the Tcl binding's log lines carry it).
    package var syslogLevel: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The level of a librdkafka log line of this syslog level.
    init(syslogLevel level: Int32) {
        switch level {
        case ...2: self = .critical
        case 3: self = .error
        case 4: self = .warning
        case 5: self = .notice
        case 6: self = .info
        default: self = .debug
        }
    }
}
