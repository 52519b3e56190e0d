import CTcl
import KafkaKit

/// A topic producer (`$handle new_topic NAME TOPIC` on a producer handle).
final class TclTopicProducer: TclCommand {
    let handle: TclHandle
    let topic: String
    let producer: KafkaProducer

    init(interp: TclInterp, name: String, handle: TclHandle, topic: String) {
        self.handle = handle
        self.topic = topic
        self.producer = handle.producer!
        super.init(interp: interp, name: name)
    }

    static let subcommands = ["produce", "produce_batch", "info", "config", "creator", "delete", "produce_one"]

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, "subcommand ?args?") }
        let sub = args.string(1)
        switch sub {
        case "produce", "produce_one":
            try args.expect(4, 5, words: 2, "partition payload ?key?")
            try produce(partition: try Self.partition(args, 2), payload: args[3], key: args.count == 5 ? args[4] : nil)
        case "produce_batch":
            try args.expect(4, words: 2, "partition list-of-payload-key-lists")
            let partition = try Self.partition(args, 2)
            let rows = try args.list(3)
            for (index, row) in rows.enumerated() {
                let fields: [TclObj]
                do { fields = try Tcl.list(row, interp: interp) } catch {
                    throw TclError("produce_batch: element \(index) is not a list: \(error.message)", errorCode: ["KAFKA", "ARGS"])
                }
                guard fields.count == 1 || fields.count == 2 else {
                    throw TclError(
                        "produce_batch: element \(index) must be {payload ?key?}, not \(fields.count) words; elements before it were produced",
                        errorCode: ["KAFKA", "ARGS"])
                }
                do { try produce(partition: partition, payload: fields[0], key: fields.count == 2 ? fields[1] : nil) } catch {
                    var error = error
                    error.message += " (produce_batch element \(index); elements before it were produced)"
                    throw error
                }
            }
            return Tcl.new(rows.count)
        case "info":
            return try info(args)
        case "config":
            try args.expect(2, words: 2, "")
            return Tcl.list(handle.topicProperties.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] })
        case "creator":
            return try creator(args)
        case "delete":
            try args.expect(2, words: 2, "")
            deleteCommand()
        default:
            throw .badWord("option", sub, Array(Self.subcommands.prefix(6)))
        }
        return nil
    }

    /// A partition number: `-1` lets the partitioner decide.
    static func partition(_ args: TclArgs, _ i: Int) throws(TclError) -> Int32? {
        let n = try args.int(i)
        guard n >= -1, n <= Int(Int32.max) else {
            throw TclError("bad partition \(n): must be -1 (the partitioner decides) or a partition number", errorCode: ["KAFKA", "ARGS"])
        }
        return n == -1 ? nil : Int32(n)
    }

    /// Produces one message. With a delivery-report callback set, the message's payload and
    /// key are kept for it; otherwise librdkafka copies them and only a failure is reported.
    /// A byte array goes as its bytes, any other value as its text in UTF-8 (see ``Tcl/withBytes(_:_:)``).
    /// A full local queue waits (up to the configuration's queue-full timeout, 10 s by default)
    /// for room, as librdkafka's blocking produce does.
    func produce(partition: Int32?, payload: TclObj, key keyObj: TclObj?) throws(TclError) {
        guard handle.inbox.waiting < TclHandle.waitingReportLimit else {
            throw TclError(
                "kafka error: \(handle.inbox.waiting) delivery reports wait for the Tcl event loop: run it (vwait, update) so they are handed over",
                errorCode: ["KAFKA", KafkaError.Code.queueFull.fullName])
        }
        try Tcl.withBytes(payload) { (value) throws(TclError) in
            guard let keyObj else { return try produce(partition: partition, value: value, key: nil) }
            try Tcl.withBytes(keyObj) { (key) throws(TclError) in try produce(partition: partition, value: value, key: key) }
        }
    }

    private func produce(partition: Int32?, value: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer?) throws(TclError) {
        do {
            if handle.callbacks.deliveryReport != nil {
                let receiver = TclDeliveryReceiver(payload: Array(value), key: key.map(Array.init), inbox: handle.inbox)
                try producer.trySend(topic: topic, partition: partition, key: key, value: value, reportingTo: receiver)
            } else {
                _ = try producer.trySend(topic: topic, partition: partition, key: key, value: value)
            }
        } catch where error.code == .queueFull {
            try produceWaitingForRoom(partition: partition, value: Array(value), key: key.map(Array.init))
        } catch {
            throw TclError(error)
        }
    }

    private func produceWaitingForRoom(partition: Int32?, value: [UInt8], key: [UInt8]?) throws(TclError) {
        let record = KafkaProducerRecord(topic: topic, partition: partition, key: key, value: value)
        let producer = self.producer
        if handle.callbacks.deliveryReport != nil {
            let receiver = TclDeliveryReceiver(payload: value, key: key, inbox: handle.inbox)
            _ = try kafka { try TclBlocking.run { try await producer.send(record, reportingTo: receiver) } }
        } else {
            _ = try kafka { try TclBlocking.run { try await producer.send(record) } }
        }
    }

    private func info(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 3 else { throw .wrongArgs(2, "name|topic|partitions|consistent_partition|output_queue_length ?key?") }
        if let answer = try Self.topicInfo(args, handle, topic) { return answer }
        switch args.string(2) {
        case "output_queue_length":
            try args.expect(3, words: 3, "")
            return Tcl.new(producer.outputQueueLength)
        default:
            throw .badWord("option", args.string(2), ["name", "topic", "partitions", "consistent_partition", "output_queue_length"])
        }
    }

    /// `info name|topic|partitions|consistent_partition KEY`, which topic producers and
    /// consumers share; `nil` for another word.
    static func topicInfo(_ args: TclArgs, _ handle: TclHandle, _ topic: String) throws(TclError) -> TclObj? {
        switch args.string(2) {
        case "name", "topic":
            try args.expect(3, words: 3, "")
            return Tcl.new(topic)
        case "partitions":
            try args.expect(3, words: 3, "")
            return Tcl.new(try handle.partitionCount(topic))
        case "consistent_partition":
            try args.expect(4, words: 3, "key")
            return Tcl.new(try consistentPartition(handle, topic, key: args[3]))
        default:
            return nil
        }
    }

    /// Where librdkafka's `consistent` partitioner puts `key` (the bytes `produce` sends for
    /// it); -1 while the topic has no partitions.
    static func consistentPartition(_ handle: TclHandle, _ topic: String, key: TclObj) throws(TclError) -> Int32 {
        let count = try handle.partitionCount(topic)
        guard count > 0 else { return -1 }
        let bytes = try Tcl.withBytes(key) { (bytes) throws(TclError) in Array(bytes) }
        return KafkaConfiguration.Partitioner.consistent.partition(forKey: bytes, partitionCount: Int32(count))
    }

    /// `creator SUBCOMMAND ?ARGS?`: a subcommand of the handle that made this topic.
    func creator(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 3 else { throw .wrongArgs(2, "subcommand ?args?") }
        return try handle.call(TclArgs(interp: args.interp, objc: args.count - 1, objv: args.objv + 1))
    }
}
