import CLibrdkafka
import Foundation
import Logging

/// Owns one `rd_kafka_t` and its main queue, and destroys them when the last reference goes.
///
/// `@unchecked Sendable`: librdkafka's handle is thread-safe; the class only holds `let`s.
final class RDKafkaClient: @unchecked Sendable {
    let handle: OpaquePointer
    let mainQueue: OpaquePointer
    /// The object C callbacks receive as their opaque; released only after `rd_kafka_destroy`,
    /// so no callback can see it gone.
    private let callbackContext: AnyObject?

    /// Creates a client whose logs and the given event types arrive on the main queue.
    /// `configure` may install C callbacks on the configuration; `callbackContext` is kept
    /// alive for as long as the handle.
    ///
    /// A client nobody serves the main queue of (admin, partition consumer) passes
    /// `logsOnMainQueue: false`: its log lines then go straight to the logger from librdkafka's
    /// threads instead of piling up in a queue.
    init(
        type: rd_kafka_type_t,
        configuration: KafkaConfiguration,
        events: Int32,
        logger: Logger,
        logsOnMainQueue: Bool = true,
        callbackContext: AnyObject? = nil,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let callbackContext = callbackContext ?? (logsOnMainQueue ? nil : RDKafkaLogContext(logger: logger))
        try RDKafkaConfig.checkRuntimeVersion()
        var configuration = configuration
        if configuration.properties["log_level"] == nil && configuration.properties["log.level"] == nil {
            // Do not let librdkafka format debug lines nobody will see.
            configuration.properties["log_level"] = String(Self.syslogLevel(for: logger.logLevel))
        }
        let conf = try RDKafkaConfig.makeConf(configuration)
        if logsOnMainQueue {
            rd_kafka_conf_set(conf, "log.queue", "true", nil, 0)
        } else if let context = callbackContext as? RDKafkaLogContext {
            context.install(on: conf)
        }
        if events != 0 { rd_kafka_conf_set_events(conf, events) }
        configure(conf)
        var reason = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &reason, reason.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                code: .invalidArgument,
                message: RDKafkaConfig.redactSecrets(in: String(nullTerminated: reason), of: configuration)
            )
        }
        handle = rk
        self.callbackContext = callbackContext
        if logsOnMainQueue { rd_kafka_set_log_queue(rk, nil) }  // nil: the main queue
        mainQueue = rd_kafka_queue_get_main(rk)
    }

    deinit {
        rd_kafka_queue_destroy(mainQueue)
        rd_kafka_destroy(handle)
    }

    /// Every effective property of the running client, secrets redacted.
    func effectiveProperties() -> [KafkaConfigurationEntry] {
        let conf = rd_kafka_conf_dup(rd_kafka_conf(handle))
        defer { rd_kafka_conf_destroy(conf) }
        let topicConf = rd_kafka_default_topic_conf_dup(handle)
        defer { rd_kafka_topic_conf_destroy(topicConf) }
        return RDKafkaConfig.dump(global: conf, topic: topicConf)
    }

    /// The fatal error librdkafka raised, if any.
    func fatalError() -> KafkaError? {
        var reason = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(handle, &reason, reason.count)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        var error = KafkaError(err, message: String(nullTerminated: reason))
        error.isFatal = true
        return error
    }

    static func syslogLevel(for level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func loggerLevel(forSyslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}

/// Runs blocking librdkafka calls (flush, close, metadata) on a thread of their own, never on
/// the cooperative pool, and resumes the caller when done.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let work = BlockingWork(body)
        let thread = Thread { continuation.resume(returning: work.run()) }
        thread.name = "KafkaKit.blocking"
        thread.start()
    }
}

/// The body of a blocking call, released before its caller resumes.
///
/// The thread keeps its closure until it ends, after the caller has resumed. Had that closure
/// held the body, a client captured by the body could be released last there — and
/// `rd_kafka_destroy` run on that thread while the program, its work done, was exiting (a
/// crash seen as `kafka topics create` exiting with SIGSEGV about one run in thirty).
private final class BlockingWork<T: Sendable>: @unchecked Sendable {
    /// Read and cleared once, by the one thread that runs it.
    private var body: (@Sendable () -> T)?

    init(_ body: @escaping @Sendable () -> T) { self.body = body }

    func run() -> T {
        let result = body!()
        body = nil
        return result
    }
}

extension RDKafkaConfig {
    /// Removes the value of every secret property of `configuration` from `text`.
    static func redactSecrets(in text: String, of configuration: KafkaConfiguration) -> String {
        var text = text
        for (name, value) in configuration.properties.merging(configuration.topicProperties, uniquingKeysWith: { a, _ in a })
        where KafkaConfiguration.isSensitive(name) {
            text = redact(text, property: name, value: value)
        }
        return text
    }
}

/// The logger a client without a served main queue logs to, straight from librdkafka's threads.
final class RDKafkaLogContext: Sendable {
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, text in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            Unmanaged<RDKafkaLogContext>.fromOpaque(opaque).takeUnretainedValue().logger
                .logLibrdkafka(level: level, facility: facility, text: text)
        }
    }
}

extension Logger {
    /// One librdkafka log line: its syslog level mapped, its facility under `kafka.facility`.
    func logLibrdkafka(level: Int32, facility: UnsafePointer<CChar>?, text: UnsafePointer<CChar>?) {
        log(
            level: RDKafkaClient.loggerLevel(forSyslog: level),
            "\(text.map { String(cString: $0) } ?? "")",
            metadata: ["kafka.facility": "\(facility.map { String(cString: $0) } ?? "")"]
        )
    }
}
