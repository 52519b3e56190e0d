import CLibrdkafka
import Logging

/// The logger a client without a served main queue logs to, straight from librdkafka's threads.
final class RDKafkaLogContext: Sendable {
    let logger: Logger
    /// Kept here for as long as librdkafka may call it back: until `rd_kafka_destroy`.
    let mainQueueServer: RDKafkaMainQueueServer?

    init(logger: Logger, mainQueueServer: RDKafkaMainQueueServer? = nil) {
        self.logger = logger
        self.mainQueueServer = mainQueueServer
    }

    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, text in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            Unmanaged<RDKafkaLogContext>.fromOpaque(opaque).takeUnretainedValue().logger
                .logLibrdkafka(level: level, facility: facility, text: text)
        }
    }
}
