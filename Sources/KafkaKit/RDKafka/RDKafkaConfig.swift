import CLibrdkafka
import Foundation

/// Builds librdkafka configuration objects from a ``KafkaConfiguration``, reporting the first
/// property librdkafka rejects with its name and librdkafka's reason (secrets redacted).
enum RDKafkaConfig {
    /// The oldest librdkafka KafkaKit accepts: 2.12 fixed a double free of headers in
    /// `rd_kafka_produceva` and made the KIP-848 consumer protocol generally available.
    static let minimumVersion: Int32 = 0x020C_0000

    static var runtimeVersionString: String { String(cString: rd_kafka_version_str()) }

    static func checkRuntimeVersion() throws(KafkaError) {
        guard rd_kafka_version() >= minimumVersion else {
            throw KafkaError(
                code: .unsupportedFeature,
                message: "librdkafka \(runtimeVersionString) is too old: KafkaKit needs 2.12 or newer "
                    + "(run scripts/bootstrap, or on macOS: brew install librdkafka)"
            )
        }
    }

    /// A new `rd_kafka_conf_t` with every property applied. The caller owns it.
    static func makeConf(_ configuration: KafkaConfiguration) throws(KafkaError) -> OpaquePointer {
        // KafkaKit's own settings, checked with librdkafka's: every client is made here.
        for (name, value) in [("eventBufferCapacity", configuration.eventBufferCapacity), ("consumerBatchSize", configuration.consumerBatchSize)] where value < 1 {
            throw KafkaError(code: .invalidArgument, message: "\(name) must be 1 or more, not \(value)", property: name)
        }
        let conf = rd_kafka_conf_new()!
        do throws(KafkaError) {
            // Sorted, so that the property reported for a configuration with several bad ones
            // is always the same.
            for (name, value) in configuration.properties.sorted(by: { $0.key < $1.key }) {
                try check(name, value)
                try set(name, value) { rd_kafka_conf_set(conf, name, value, $0, $1) }
            }
            if !configuration.topicProperties.isEmpty {
                // Topic-level names set above (partitioner, acks, ...) already live in the
                // default topic configuration: add to it rather than replace it.
                let existing = rd_kafka_conf_get_default_topic_conf(conf)
                let topicConf = existing ?? rd_kafka_topic_conf_new()!
                do throws(KafkaError) {
                    for (name, value) in configuration.topicProperties.sorted(by: { $0.key < $1.key }) {
                        try check(name, value)
                        try set(name, value) { rd_kafka_topic_conf_set(topicConf, name, value, $0, $1) }
                    }
                } catch {
                    if existing == nil { rd_kafka_topic_conf_destroy(topicConf) }
                    throw error
                }
                if existing == nil { rd_kafka_conf_set_default_topic_conf(conf, topicConf) }
            }
        } catch {
            rd_kafka_conf_destroy(conf)
            throw error
        }
        return conf
    }

    /// What librdkafka would take without a word but misread: a NUL (its C strings end there,
    /// so `linger.ms\0x` would set `linger.ms`), or a broker list with a port that is not one
    /// (`host:x` becomes port 0).
    private static func check(_ name: String, _ value: String) throws(KafkaError) {
        if name.utf8.contains(0) {
            throw KafkaError(
                code: .invalidArgument,
                message: "property name \"\(name.replacingOccurrences(of: "\0", with: "\\0"))\" contains a NUL character",
                property: name)
        }
        if value.utf8.contains(0) {
            throw KafkaError(
                code: .invalidArgument,
                message: "the value of \(name) contains a NUL character (librdkafka would read only what comes before it)",
                property: name)
        }
        if name == "bootstrap.servers" || name == "metadata.broker.list", let (message, position) = KafkaError.brokerListProblem(value) {
            throw KafkaError(code: .invalidArgument, message: "\(name): \(message)", property: name, position: position)
        }
    }

    private static func set(
        _ name: String,
        _ value: String,
        _ apply: (UnsafeMutablePointer<CChar>, Int) -> rd_kafka_conf_res_t
    ) throws(KafkaError) {
        var reason = [CChar](repeating: 0, count: 512)
        let result = reason.withUnsafeMutableBufferPointer { apply($0.baseAddress!, $0.count) }
        guard result != RD_KAFKA_CONF_OK else { return }
        var text = String(nullTerminated: reason)
        if result == RD_KAFKA_CONF_UNKNOWN {
            text = "unknown configuration property \"\(name)\"" + (text.isEmpty ? "" : ": \(text)")
        }
        throw KafkaError(code: .invalidArgument, message: redact(text, property: name, value: value), property: name)
    }

    /// librdkafka's messages quote the rejected value; for a secret property it must not show.
    static func redact(_ text: String, property: String, value: String) -> String {
        guard KafkaConfiguration.isSensitive(property), !value.isEmpty else { return text }
        return text.replacingOccurrences(of: value, with: "[redacted]")
    }

    /// Every property of a configuration object as librdkafka sees it, secrets redacted.
    static func dump(global conf: OpaquePointer?, topic topicConf: OpaquePointer?) -> [KafkaConfigurationEntry] {
        var entries: [KafkaConfigurationEntry] = []
        func collect(_ pairs: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ count: Int, _ scope: KafkaConfigurationEntry.Scope) {
            guard let pairs else { return }
            var i = 0
            while i + 1 < count {
                let name = String(cString: pairs[i]!)
                let value = pairs[i + 1].map { String(cString: $0) } ?? ""
                let shown = KafkaConfiguration.shownValue(value, of: name)
                entries.append(KafkaConfigurationEntry(name: name, value: shown, scope: scope))
                i += 2
            }
            rd_kafka_conf_dump_free(pairs, count)
        }
        var count = 0
        if let conf {
            let pairs = rd_kafka_conf_dump(conf, &count)
            collect(pairs, count, .global)
        }
        if let topicConf {
            let pairs = rd_kafka_topic_conf_dump(topicConf, &count)
            collect(pairs, count, .topic)
        }
        return entries
    }
}

extension String {
    /// The text of a NUL-terminated C buffer (librdkafka's `errstr` arguments).
    init(nullTerminated buffer: [CChar]) {
        let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
        self = String(decoding: buffer[..<end].lazy.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
