import CLibrdkafka
import Logging
import Synchronization

/// The Kafka APIs a cluster's bootstrap broker says it supports, as librdkafka logs them at
/// connection (its `feature` debug context: `ApiKey OffsetDelete (47) Versions 0..0`).
///
/// librdkafka has no public call for this. KafkaKit needs it where librdkafka itself fails
/// badly on a broker without an API: librdkafka 2.14.2's DeleteGroups and
/// DeleteConsumerGroupOffsets release their reply queue twice when the broker lacks the API
/// (the request function destroys it, then the coordinator code does), and the process later
/// aborts on `rd_kafka_q_destroy0: assert: rkq->rkq_refcnt > 0`.
enum RDKafkaBrokerAPIs {
    /// The Kafka APIs KafkaKit checks for.
    struct Key: Sendable {
        let rawValue: Int
        let name: String
        /// Which brokers have it, for messages.
        let since: String

        static let deleteGroups = Key(rawValue: 42, name: "DeleteGroups", since: "Kafka 1.1 or later")
        static let offsetDelete = Key(rawValue: 47, name: "OffsetDelete", since: "KIP-496, Kafka 2.4 or later")
    }

    /// API names by key with their version ranges.
    typealias Table = [Int: (name: String, versions: ClosedRange<Int>)]

    /// An admin client's knowledge of its brokers' API table, so that the probe (a client of
    /// its own, a connection, a metadata request) runs once, not on every group deletion.
    ///
    /// The table is the brokers' as the admin client last reached them: a broker connection
    /// the client lost or failed to make (a broker restarted, perhaps upgraded or downgraded;
    /// another answering at the address) forgets it, and the next check probes again. A probe
    /// that began before that does not fill the cache when it ends.
    struct Cache: Sendable {
        /// What a check does.
        enum Lookup {
            /// Uses the table known.
            case known(Table)
            /// Probes, then calls ``Cache/store(_:probedIn:)`` with this generation.
            case probe(generation: Int)
        }

        private var table: Table?
        private var generation = 0

        /// The table, or a probe to run.
        func lookup() -> Lookup {
            if let table { return .known(table) }
            return .probe(generation: generation)
        }

        /// Keeps a probe's table, unless the brokers may have changed since it began. An empty
        /// table (librdkafka logged no API line) is not kept: it tells nothing.
        mutating func store(_ probed: Table, probedIn generation: Int) {
            guard generation == self.generation, !probed.isEmpty else { return }
            table = probed
        }

        /// A broker connection was lost or failed: the table may be another broker's now.
        mutating func brokerConnectionFailed() {
            table = nil
            generation &+= 1
        }
    }

    /// API names by key with their version ranges; empty if librdkafka logged none (an
    /// `api.version.request=false` configuration, or a format this code does not know).
    static func supported(configuration: KafkaConfiguration, timeout: Duration) async throws -> Table {
        var probe = configuration
        probe["debug"] = "feature"
        probe["log_level"] = "7"
        let lines = CapturedLines()
        let client = try RDKafkaClient(
            type: RD_KAFKA_PRODUCER, configuration: probe, events: 0,
            logger: Logger(label: "KafkaKit.admin.probe") { _ in CapturingHandler(lines: lines) }, logsOnMainQueue: false)
        // Any answered request means the connection's ApiVersions exchange, and its log
        // lines, came first: a broker-only metadata request is the smallest.
        let err = await runBlocking { [client] in
            var md: UnsafePointer<rd_kafka_metadata>? = nil
            let err = rd_kafka_metadata(client.handle, 0, nil, &md, timeout.timeoutMilliseconds)
            if let md { rd_kafka_metadata_destroy(md) }
            return err
        }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, message: "asking the broker which APIs it supports") }
        return parse(lines.lines.withLock { $0 })
    }

    /// Reads `... ApiKey NAME (KEY) Versions MIN..MAX` lines.
    static func parse(_ lines: [String]) -> Table {
        var apis: Table = [:]
        for line in lines {
            guard let start = line.range(of: "ApiKey ") else { continue }
            let rest = line[start.upperBound...]
            guard let open = rest.range(of: " ("), let close = rest.range(of: ") Versions ", range: open.upperBound..<rest.endIndex),
                  let key = Int(rest[open.upperBound..<close.lowerBound]) else { continue }
            let bounds = rest[close.upperBound...].split(separator: ".", omittingEmptySubsequences: true).compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] <= bounds[1] else { continue }
            apis[key] = (String(rest[..<open.lowerBound]), bounds[0]...bounds[1])
        }
        return apis
    }

    /// The lines logged to a ``CapturingHandler``.
    private final class CapturedLines: Sendable {
        let lines = Mutex<[String]>([])
    }

    /// Keeps every message logged, for ``parse(_:)``.
    private struct CapturingHandler: LogHandler {
        let lines: CapturedLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            lines.lines.withLock { $0.append(event.message.description) }
        }
    }
}
