import CTcl
import KafkaKit

/// A topic consumer (`$handle new_topic NAME TOPIC` on a consumer handle): starts, reads and
/// stops partitions of one topic.
final class TclTopicConsumer: TclCommand {
    let handle: TclHandle
    let topic: String
    let consumer: KafkaPartitionConsumer
    private var readers: [Int32: TclReader] = [:]
    private var feeds: [Int32: TclCallbackFeed] = [:]
    /// Partitions this object started (and stops when deleted).
    private var started: Set<Int32> = []

    init(interp: TclInterp, name: String, handle: TclHandle, topic: String) {
        self.handle = handle
        self.topic = topic
        self.consumer = handle.consumer!
        super.init(interp: interp, name: name)
    }

    static let subcommands = [
        "consume", "consume_batch", "consume_callback", "info", "start", "start_queue", "stop", "creator", "delete",
        "consume_start", "consume_start_queue", "consume_stop",
    ]

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, "subcommand ?args?") }
        let sub = args.string(1)
        switch sub {
        case "consume":
            try args.expect(5, words: 2, "partition timeout array")
            let partition = try partitionNumber(args, 2)
            return try reader(partition).consume(interp, timeout: try TclReader.timeout(args, 3), array: args[4])
        case "consume_batch":
            try args.expect(7, words: 2, "partition timeout count array code")
            let partition = try partitionNumber(args, 2)
            return try reader(partition).consumeBatch(
                interp, timeout: try TclReader.timeout(args, 3), count: try args.int(4), array: args[5], code: args[6])
        case "consume_callback":
            try args.expect(3, 4, words: 2, "partition ?callback?")
            let partition = try partitionNumber(args, 2)
            if args.count == 3 { return feeds[partition].map { $0.script.obj } ?? Tcl.new("") }
            guard started.contains(partition) else { throw notStarted(partition) }
            try setFeed(partition, TclMaster.script(args[3]))
        case "start", "consume_start":
            try args.expect(4, 5, words: 2, "partition offset ?callback?")
            let partition = try partitionNumber(args, 2)
            let offset = try TclOffset.parse(args, 3)
            try kafka { try consumer.start(topic: topic, partition: KafkaPartition(partition), at: offset) }
            started.insert(partition)
            if args.count == 5 { try setFeed(partition, TclMaster.script(args[4])) }
        case "start_queue", "consume_start_queue":
            try args.expect(5, words: 2, "partition offset queue")
            let partition = try partitionNumber(args, 2)
            let offset = try TclOffset.parse(args, 3)
            let queueName = args.string(4)
            guard let queue = TclCommand.lookup(interp, queueName, as: TclQueue.self) else {
                throw TclError("command name '\(queueName)' is not a kafkatcl queue object", errorCode: ["KAFKA", "ARGS"])
            }
            try kafka { try consumer.start(topic: topic, partition: KafkaPartition(partition), at: offset, queue: queue.queue) }
            started.insert(partition)
        case "stop", "consume_stop":
            try args.expect(3, words: 2, "partition")
            let partition = try partitionNumber(args, 2)
            try stop(partition)
        case "info":
            return try info(args)
        case "creator":
            guard args.count >= 3 else { throw .wrongArgs(2, "subcommand ?args?") }
            return try handle.call(TclArgs(interp: args.interp, objc: args.count - 1, objv: args.objv + 1))
        case "delete":
            try args.expect(2, words: 2, "")
            deleteCommand()
        default:
            throw .badWord("option", sub, Array(Self.subcommands.prefix(9)))
        }
        return nil
    }

    private func partitionNumber(_ args: TclArgs, _ i: Int) throws(TclError) -> Int32 {
        let n = try args.int(i)
        guard n >= 0, n <= Int(Int32.max) else {
            throw TclError("bad partition \(n): must be a partition number (0 or more)", errorCode: ["KAFKA", "ARGS"])
        }
        return Int32(n)
    }

    private func notStarted(_ partition: Int32) -> TclError {
        TclError(KafkaError(code: .invalidState, message: "\(topic) [\(partition)] is not started"))
    }

    private func reader(_ partition: Int32) throws(TclError) -> TclReader {
        if let reader = readers[partition] { return reader }
        let consumer = self.consumer, topic = self.topic
        let reader = TclReader(
            readOne: { try await consumer.consumeNoting(topic: topic, partition: KafkaPartition(partition), timeout: $0) },
            readBatch: { try await consumer.consumeBatch(topic: topic, partition: KafkaPartition(partition), maxCount: $0, timeout: $1) })
        readers[partition] = reader
        return reader
    }

    /// Replaces the callback of a started partition (nil: none, read with `consume` instead).
    /// What the old callback's feed read and did not pass on comes first in the next read.
    private func setFeed(_ partition: Int32, _ script: TclScript?) throws(TclError) {
        let reader = try self.reader(partition)
        if let old = feeds.removeValue(forKey: partition) { reader.giveBack(old.close()) }
        guard let script else { return }
        let consumer = self.consumer, topic = self.topic
        feeds[partition] = TclCallbackFeed(interp: interp, script: script, initial: reader.takeHeld()) {
            Array(try await consumer.consumeBatch(topic: topic, partition: KafkaPartition(partition), maxCount: 1000, timeout: .seconds(1)))
        }
    }

    /// Stops a partition: its callback ends, and what was fetched but not read is dropped
    /// (as KafkaTcl's `stop` purges the partition's local queue).
    private func stop(_ partition: Int32) throws(TclError) {
        feeds.removeValue(forKey: partition)?.close()
        readers.removeValue(forKey: partition)
        started.remove(partition)
        let consumer = self.consumer, topic = self.topic
        try kafka { try TclBlocking.run { try await consumer.stop(topic: topic, partition: KafkaPartition(partition)) } }
    }

    private func info(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 3 else { throw .wrongArgs(2, "name|partitions|consistent_partition ?key?") }
        if let answer = try TclTopicProducer.topicInfo(args, handle, topic) { return answer }
        throw .badWord("option", args.string(2), ["name", "partitions", "consistent_partition"])
    }

    override func commandDeleted() {
        for feed in feeds.values { feed.close() }
        feeds = [:]
        readers = [:]
        for partition in started {
            let consumer = self.consumer, topic = self.topic
            _ = try? TclBlocking.run { try await consumer.stop(topic: topic, partition: KafkaPartition(partition)) }
        }
        started = []
    }
}
