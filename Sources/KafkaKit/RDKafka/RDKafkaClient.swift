import CLibrdkafka
import Foundation
import Logging

/// Owns one `rd_kafka_t` and its main queue, and destroys them when the last reference goes.
///
/// `rd_kafka_destroy` blocks (it joins librdkafka's threads, and a consumer may leave its group),
/// so it never runs on the cooperative pool: released on a thread of the
/// ``RDKafkaBlockingExecutor``, the client is destroyed right there; released anywhere else
/// (a task, the main thread, a librdkafka thread — where destroying would deadlock), the
/// destroy is submitted to the executor, which waits for it at process exit. There is no
/// explicit `destroy()`: queues, topics and consumed messages hold the client, and the handle
/// must outlive them all, which only the last reference knows.
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
    /// threads instead of piling up in a queue. Its statistics, if on, are served from
    /// librdkafka's threads too (see ``RDKafkaMainQueueServer``) and go to `metrics`.
    init(
        type: rd_kafka_type_t,
        configuration: KafkaConfiguration,
        events: Int32,
        logger: Logger,
        logsOnMainQueue: Bool = true,
        metrics: RDKafkaMetrics? = nil,
        callbackContext: AnyObject? = nil,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        try RDKafkaConfig.checkRuntimeVersion()
        _ = RDKafkaOpenSSLExit.disabled
        var configuration = configuration
        try configuration.applyMetricsInterval()
        let mainQueueServer = !logsOnMainQueue && configuration.emitsStatistics
            ? RDKafkaMainQueueServer(metrics: metrics, logger: logger) : nil
        let callbackContext = callbackContext
            ?? (logsOnMainQueue ? nil : RDKafkaLogContext(logger: logger, mainQueueServer: mainQueueServer))
        if configuration.properties["log_level"] == nil && configuration.properties["log.level"] == nil {
            // Do not let librdkafka format debug lines nobody will see.
            configuration.properties["log_level"] = String(logger.logLevel.syslogLevel)
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
        KafkaOpenClients.opened()
        self.callbackContext = callbackContext
        if logsOnMainQueue { rd_kafka_set_log_queue(rk, nil) }  // nil: the main queue
        mainQueue = rd_kafka_queue_get_main(rk)
        mainQueueServer?.start(serving: self)
        // Created (and its exit drain registered) after librdkafka initialised itself, so the
        // drain runs at exit before librdkafka's dependencies clean up.
        _ = RDKafkaBlockingExecutor.shared
    }

    deinit {
        let handles = Handles(handle: handle, mainQueue: mainQueue, callbackContext: callbackContext)
        if RDKafkaBlockingExecutor.isPoolThread {
            handles.destroy()
        } else {
            RDKafkaBlockingExecutor.shared.submit { handles.destroy() }
        }
    }

    /// What a destroy needs once the client object is gone.
    ///
    /// `@unchecked Sendable`: handed to the one thread that destroys them.
    private struct Handles: @unchecked Sendable {
        let handle: OpaquePointer
        let mainQueue: OpaquePointer
        /// Released with these handles, after `rd_kafka_destroy`: no callback can see it gone.
        let callbackContext: AnyObject?

        func destroy() {
            rd_kafka_queue_destroy(mainQueue)
            rd_kafka_destroy(handle)
            KafkaOpenClients.destroyed()
        }
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
}
