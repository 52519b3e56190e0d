import ArgumentParser
import Foundation
import KafkaKit
import Synchronization

/// `kafka consume`: values one per line, or JSON objects.
struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consume records and print them.",
        discussion: """
            Without --group, reads every partition (or --partition) from --from without joining a \
            group. With --group, joins it and commits as it goes; --from beginning|end then says \
            where to start when the group has no committed offset. \
            --json prints {"topic","partition","offset","timestamp","key","value","headers"} per \
            line; a key or value that is not UTF-8 is written base64 as key_base64/value_base64.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The topic.") var topic: String
    @Option(help: "Only this partition.") var partition: Int32?
    @Option(parsing: .unconditional, help: "beginning, end, stored, OFFSET, or -N (N before the end).") var from: String = "beginning"
    @Option(help: "Consume as a member of this group.") var group: String?
    @Option(help: "Stop after this many records.") var count: Int?
    @Flag(name: .customLong("exit-at-end"), help: "Stop once every partition's end is reached.") var exitAtEnd = false
    @Flag(help: "One JSON object per record.") var json = false

    func startOffset() throws -> Int64 {
        switch from {
        case "beginning": return KafkaOffset.beginning.rawValue
        case "end": return KafkaOffset.end.rawValue
        case "stored": return KafkaOffset.stored.rawValue
        default:
            guard let n = Int64(from) else { throw ValidationError("--from takes beginning, end, stored, OFFSET or -N, not '\(from)'") }
            return n < 0 ? KafkaOffset.tail(-n).rawValue : n
        }
    }

    func validate() throws {
        _ = try startOffset()
        if let count, count <= 0 { throw ValidationError("--count must be 1 or more") }
        if group != nil, partition != nil { throw ValidationError("--partition cannot be used with --group (the group assigns partitions)") }
        if group != nil, !["beginning", "end", "stored"].contains(from) { throw ValidationError("with --group, --from is beginning or end") }
        if group == nil, from == "stored" { throw ValidationError("--from stored needs --group") }
    }

    func run() async throws {
        try await reportingFailures {
            var configuration = try connection.configuration()
            configuration["group.id"] = group ?? "kafka-cli-\(UUID().uuidString)"
            if group == nil { configuration["enable.auto.commit"] = "false" }
            configuration["auto.offset.reset"] = from == "end" ? "latest" : "earliest"
            if exitAtEnd { configuration["enable.partition.eof"] = "true" }
            let consumer = try KafkaConsumer(configuration: configuration)

            var partitions: [Int32] = []
            if group != nil {
                try consumer.subscribe(topics: [topic])
            } else {
                let metadata = try await consumer.metadata(topic: topic)
                guard let found = metadata.topic(topic), found.error == nil, !found.partitions.isEmpty else {
                    throw CLIFailure.kafka("topic \(topic) does not exist")
                }
                partitions = partition.map { [$0] } ?? found.partitions.map(\.id)
                if let partition, !found.partitions.contains(where: { $0.id == partition }) {
                    throw CLIFailure.kafka("topic \(topic) has no partition \(partition) (it has \(found.partitions.count))")
                }
                let offset = try startOffset()
                try consumer.assign(partitions.map { KafkaTopicPartition(topic: topic, partition: $0, offset: offset) })
            }

            // End of partition: with a group the assignment arrives as an event.
            let watcher = Task { [partitions, exitAtEnd] in
                var assigned = Set(partitions)
                var ended = Set<Int32>()
                for await event in consumer.events {
                    switch event {
                    case .partitionsAssigned(let list): assigned.formUnion(list.map(\.partition))
                    case .partitionEOF(let p):
                        ended.insert(p.partition)
                        if exitAtEnd, !assigned.isEmpty, ended.isSuperset(of: assigned) { await consumer.close() }
                    case .error(let error): printError("kafka: \(error)")
                    default: break
                    }
                }
            }
            let written = await write(consumer)
            await consumer.close()
            watcher.cancel()
            if count != nil, written < count! { printError("kafka consume: \(written) of \(count!) records before the end") }
        }
    }

    /// The print loop, nonisolated: no main-actor hop per record.
    func write(_ consumer: KafkaConsumer) async -> Int {
        var output = OutputBuffer()
        var written = 0
        // Locals: an ArgumentParser property read looks up generic metadata every time.
        let json = self.json, count = self.count
        for await message in consumer.messages {
            if json { output.appendJSON(message) } else { output.appendValue(message) }
            written += 1
            if let count, written >= count { break }
            if output.isLarge { output.flush() }
        }
        output.flush()
        return written
    }
}

/// Buffered stdout, written in large pieces.
struct OutputBuffer {
    var bytes: [UInt8] = []
    var isLarge: Bool { bytes.count >= 1 << 16 }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func appendValue(_ message: KafkaConsumerMessage) {
        message.withUnsafeValue { if let value = $0 { bytes += value } }
        bytes.append(10)
    }

    mutating func appendJSON(_ m: KafkaConsumerMessage) {
        bytes += Array("{\"topic\":".utf8)
        appendString(Array(m.topic.utf8))
        bytes += Array(",\"partition\":\(m.partition),\"offset\":\(m.offset),\"timestamp\":\(m.timestampMilliseconds.map(String.init) ?? "null")".utf8)
        appendBytes(name: "key", m.key)
        appendBytes(name: "value", m.value)
        bytes += Array(",\"headers\":[".utf8)
        for (i, header) in m.headers.enumerated() {
            if i > 0 { bytes.append(44) }
            bytes += Array("{\"key\":".utf8)
            appendString(Array(header.key.utf8))
            appendBytes(name: "value", header.value)
            bytes.append(125)
        }
        bytes += Array("]}\n".utf8)
    }

    /// `,"name":"text"`, `,"name":null`, or `,"name_base64":"..."` for bytes that are not UTF-8.
    mutating func appendBytes(name: String, _ value: [UInt8]?) {
        guard let value else {
            bytes += Array(",\"\(name)\":null".utf8)
            return
        }
        if String(validating: value, as: UTF8.self) != nil {
            bytes += Array(",\"\(name)\":".utf8)
            appendString(value)
        } else {
            bytes += Array(",\"\(name)_base64\":\"\(Data(value).base64EncodedString())\"".utf8)
        }
    }

    /// A JSON string of valid UTF-8 bytes.
    mutating func appendString(_ utf8: [UInt8]) {
        bytes.append(34)
        for byte in utf8 {
            switch byte {
            case 34: bytes += [92, 34]
            case 92: bytes += [92, 92]
            case 10: bytes += [92, 110]
            case 13: bytes += [92, 114]
            case 9: bytes += [92, 116]
            case 0..<32: bytes += Array(String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(34)
    }
}
