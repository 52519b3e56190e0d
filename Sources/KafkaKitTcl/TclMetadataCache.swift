import CTcl
import KafkaKit

/// Cluster metadata as a handle's `info` and `meta` show it: fetched once (5 s bound), kept
/// until `meta refresh`.
final class TclMetadataCache {
    private let fetch: @Sendable () async throws -> KafkaMetadata
    private var metadata: KafkaMetadata?

    init(fetch: @escaping @Sendable () async throws -> KafkaMetadata) {
        self.fetch = fetch
    }

    func refresh() throws(TclError) -> KafkaMetadata {
        let fetch = self.fetch
        let fetched = try kafka { try TclBlocking.run { try await fetch() } }
        metadata = fetched
        return fetched
    }

    func cached() throws(TclError) -> KafkaMetadata {
        if let metadata { return metadata }
        return try refresh()
    }

    /// The partition count of `topic` (asked again once if the kept metadata lacks the topic:
    /// it may be new).
    func partitionCount(_ topic: String) throws(TclError) -> Int {
        if let found = try cached().topic(topic), found.error == nil { return found.partitions.count }
        guard let found = try refresh().topic(topic), found.error == nil else {
            throw TclError(
                "kafka error: topic '\(topic)' not found",
                errorCode: ["KAFKA", KafkaError.Code.unknownTopicOrPartition.fullName])
        }
        return found.partitions.count
    }

    /// `meta refresh|print`.
    func meta(_ args: TclArgs) throws(TclError) -> TclObj? {
        try args.expect(3, words: 2, "refresh|print")
        switch args.string(2) {
        case "refresh":
            _ = try refresh()
        case "print":
            Self.print(try cached())
        default:
            throw .badWord("option", args.string(2), ["refresh", "print"])
        }
        return nil
    }

    /// `info topics|brokers|partitions TOPIC`.
    func info(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 3 else { throw .wrongArgs(2, "topics|brokers|partitions ?topic?") }
        switch args.string(2) {
        case "topics":
            try args.expect(3, words: 3, "")
            return Tcl.list(try cached().topics.map(\.name))
        case "brokers":
            try args.expect(3, words: 3, "")
            return Tcl.list(try cached().brokers.map { "\($0.host):\($0.port)" })
        case "partitions":
            try args.expect(4, words: 3, "topic")
            return Tcl.new(try partitionCount(args.string(3)))
        default:
            throw .badWord("option", args.string(2), ["topics", "brokers", "partitions"])
        }
    }

    /// `meta print`: the metadata in librdkafka's example layout, on Tcl's stdout.
    static func print(_ metadata: KafkaMetadata) {
        var text = "Metadata for all topics (from broker \(metadata.originatingBrokerID)):\n"
        text += " \(metadata.brokers.count) brokers:\n"
        for broker in metadata.brokers { text += "  broker \(broker.id) at \(broker.host):\(broker.port)\n" }
        text += " \(metadata.topics.count) topics:\n"
        for topic in metadata.topics {
            text += "  topic \"\(topic.name)\" with \(topic.partitions.count) partitions:"
            if let error = topic.error { text += " \(error.explanation)" }
            text += "\n"
            for p in topic.partitions {
                text += "    partition \(p.id), leader \(p.leader), replicas: "
                text += p.replicas.map(String.init).joined(separator: ",")
                text += ", isrs: " + p.inSyncReplicas.map(String.init).joined(separator: ",")
                if let error = p.error { text += ", \(error.explanation)" }
                text += "\n"
            }
        }
        guard let channel = Tcl_GetStdChannel(TCL_STDOUT) else { return }
        let obj = Tcl.new(text)
        ctcl_incr_ref(obj)
        defer { ctcl_decr_ref(obj) }
        Tcl_WriteObj(channel, obj)
        Tcl_Flush(channel)
    }
}
