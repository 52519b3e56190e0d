import Logging

extension Logger {
    /// One librdkafka log line: its syslog level mapped, its facility under `kafka.facility`.
    func logLibrdkafka(level: Int32, facility: UnsafePointer<CChar>?, text: UnsafePointer<CChar>?) {
        log(
            level: Logger.Level(syslogLevel: level),
            "\(text.map { String(cString: $0) } ?? "")",
            metadata: ["kafka.facility": "\(facility.map { String(cString: $0) } ?? "")"]
        )
    }
}

extension Logger.Level {
    /// The syslog level (librdkafka's `log_level`) that lets through this level and above.
    var syslogLevel: Int {
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
