import CTcl
import KafkaKit

/// A queue of a consumer handle (`$handle create_queue NAME`) that started partitions of any
/// of its topics are routed into (`$topic start_queue P OFFSET QUEUE`).
final class TclQueue: TclCommand {
    let handle: TclHandle
    let queue: KafkaMessageQueue
    private let reader: TclReader
    private var feed: TclCallbackFeed?

    init(interp: TclInterp, name: String, handle: TclHandle, queue: KafkaMessageQueue) {
        self.handle = handle
        self.queue = queue
        reader = TclReader(
            readOne: { try await queue.consumeNoting(timeout: $0) },
            readBatch: { try await queue.consumeBatch(maxCount: $0, timeout: $1) })
        super.init(interp: interp, name: name)
    }

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, "subcommand ?args?") }
        let sub = args.string(1)
        switch sub {
        case "consume":
            try args.expect(4, words: 2, "timeout array")
            return try reader.consume(interp, timeout: try TclReader.timeout(args, 2), array: args[3])
        case "consume_batch":
            try args.expect(6, words: 2, "timeout count array code")
            return try reader.consumeBatch(interp, timeout: try TclReader.timeout(args, 2), count: try args.int(3), array: args[4], code: args[5])
        case "consume_callback":
            try args.expect(2, 3, words: 2, "?callback?")
            if args.count == 2 { return feed.map { $0.script.obj } ?? Tcl.new("") }
            // What the old callback's feed read and did not pass on comes first in the next read.
            if let old = feed { reader.giveBack(old.close()) }
            feed = nil
            if let script = TclMaster.script(args[2]) {
                let queue = self.queue
                feed = TclCallbackFeed(interp: interp, script: script, initial: reader.takeHeld()) {
                    Array(try await queue.consumeBatch(maxCount: 1000, timeout: .seconds(1)))
                }
            }
        case "delete":
            try args.expect(2, words: 2, "")
            deleteCommand()
        default:
            throw .badWord("option", sub, ["consume", "consume_batch", "consume_callback", "delete"])
        }
        return nil
    }

    override func commandDeleted() {
        feed?.close()
        feed = nil
    }
}
