import ArgumentParser
import KafkaKit
import _KafkaKitCLISupport

/// Parses `TOPIC[:PARTITION,...]` arguments as a usage error names them.
func parseTopicPartitions(_ texts: [String], option: String) throws -> [KafkaTopicPartitionsArgument] {
    try texts.map { text in
        let parsed: KafkaTopicPartitionsArgument
        do throws(KafkaTopicPartitionsArgument.Problem) {
            parsed = try KafkaTopicPartitionsArgument(parsing: text)
        } catch {
            throw ValidationError("bad \(option): \(error.description)")
        }
        try validateTopicName(parsed.topic)
        return parsed
    }
}

/// The partitions the arguments name: those listed, or every partition of the topic. Refuses
/// a topic the cluster does not have, and a partition the topic does not have.
func resolvePartitions(_ arguments: [KafkaTopicPartitionsArgument], admin: KafkaAdminClient, timeout: Duration) async throws -> [KafkaTopicPartition] {
    var resolved: [KafkaTopicPartition] = []
    for argument in arguments {
        let metadata = try await admin.metadata(topic: argument.topic, timeout: timeout)
        guard let topic = metadata.topic(argument.topic), topic.error == nil, !topic.partitions.isEmpty else {
            throw CLIFailure.kafka("topic \(argument.topic) does not exist")
        }
        let ids = topic.partitions.map(\.id)
        for p in argument.partitions ?? ids {
            guard ids.contains(p) else { throw CLIFailure.kafka("topic \(argument.topic) has no partition \(p) (it has \(ids.count))") }
            let partition = KafkaTopicPartition(topic: argument.topic, partition: p)
            if !resolved.contains(partition) { resolved.append(partition) }
        }
    }
    return resolved
}
