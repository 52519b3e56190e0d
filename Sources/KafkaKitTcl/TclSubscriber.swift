import CTcl
import KafkaKit
import Synchronization

/// A group consumer (`$master subscriber NAME`): subscribes, is assigned partitions by the
/// group, and hands records out one at a time (`consume`) or to a callback from the event loop.
///
/// Offsets are KafkaKit's at-least-once default: a record's offset is stored once the next one
/// is asked for, and committed by auto-commit, `commit`, or `delete` (which leaves the group).
final class TclSubscriber: TclCommand {
    let consumer: KafkaConsumer
    let metadataCache: TclMetadataCache
    let inbox: TclInbox<TclHandleEvent>
    let callbacks: TclCallbacks
    /// The iterator `consume` continues with: records of a batch it took stay in it.
    private let iterator: TclIteratorBox
    private var feed: TclCallbackFeed?
    /// Records a cleared callback's feed had read but not passed on: `consume` returns them first.
    private var pending: ArraySlice<KafkaConsumerMessage> = []
    private var eventsTask: Task<Void, Never>?
    /// Errors of records (an unknown topic, a failed fetch) for `consume` to return as
    /// `error code message` lists (they also reach the error callback).
    let consumeErrors = TclErrorQueue()

    private init(interp: TclInterp, name: String, consumer: KafkaConsumer, inbox: TclInbox<TclHandleEvent>, callbacks: TclCallbacks) {
        self.consumer = consumer
        self.inbox = inbox
        self.callbacks = callbacks
        self.iterator = TclIteratorBox(consumer.messages)
        metadataCache = TclMetadataCache { try await consumer.metadata(timeout: .seconds(5)) }
        super.init(interp: interp, name: name)
    }

    static func make(interp: TclInterp, name: String, master: TclMaster) throws(TclError) -> TclSubscriber {
        var configuration = master.configuration
        // KafkaTcl's subscribers start new groups at the beginning of their partitions.
        if configuration.properties["auto.offset.reset"] == nil && configuration.topicProperties["auto.offset.reset"] == nil {
            configuration.properties["auto.offset.reset"] = "earliest"
        }
        guard configuration.properties["group.id"] != nil else {
            throw TclError("subscriber: set the group first (\(master.name) config group.id GROUP)", errorCode: ["KAFKA", "ARGS"])
        }
        let inbox = TclInbox<TclHandleEvent>(deliver: { _ in })
        let consumer = try kafka { try KafkaConsumer(configuration: configuration, logger: TclHandle.logger(master.callbacks, inbox, name: name, threshold: TclLogThreshold())) }
        let subscriber = TclSubscriber(interp: interp, name: name, consumer: consumer, inbox: inbox, callbacks: master.callbacks)
        inbox.deliver = { [weak subscriber] events in
            guard let subscriber else { return }
            subscriber.callbacks.deliver(events, interp: interp, client: subscriber.name)
        }
        // Client errors and statistics go to the master's callbacks (or the logger); the task
        // ends when the consumer closes and its events end.
        let events = consumer.events
        let consumeErrors = subscriber.consumeErrors
        subscriber.eventsTask = Task.detached {
            for await event in events {
                switch event {
                case .error(let error):
                    // A record's error (it names a topic) is also what `consume` returns next.
                    if error.topic != nil { consumeErrors.push(error) }
                    inbox.post(.error(error))
                case .statistics(let json): inbox.post(.statistics(json))
                default: break
                }
            }
        }
        subscriber.register()
        return subscriber
    }

    static let subcommands = [
        "subscribe", "unsubscribe", "assign", "assignment", "commit", "consume", "callback", "offsets", "watermarks",
        "meta", "info", "delete",
    ]

    override func call(_ args: TclArgs) throws(TclError) -> TclObj? {
        guard args.count >= 2 else { throw .wrongArgs(1, "subcommand ?args?") }
        let sub = args.string(1)
        switch sub {
        case "subscribe":
            if args.count == 2 { return Tcl.list(try kafka { try consumer.subscription() }.map { Tcl.list([$0]) }) }
            let topics = try Self.topics(args, from: 2)
            try kafka { try consumer.subscribe(topics: topics) }
        case "unsubscribe":
            try args.expect(2, words: 2, "")
            try kafka { try consumer.unsubscribe() }
        case "assign":
            let partitions = try Self.tuples(args, from: 2)
            try kafka { try consumer.assign(partitions) }
        case "assignment", "assignments":
            try args.expect(2, words: 2, "")
            return Self.list(try kafka { try consumer.assignment() }, offsets: false)
        case "commit":
            try commit(args)
        case "consume":
            try args.expect(2, 3, words: 2, "?timeout?")
            let timeout = args.count == 3 ? try TclReader.timeout(args, 2) : .zero
            return try consume(timeout: timeout)
        case "callback":
            try args.expect(2, 3, words: 2, "?callback?")
            if args.count == 2 { return feed.map { $0.script.obj } ?? Tcl.new("") }
            // What the old callback's feed read and did not pass on goes to the next reader.
            if let old = feed { pending += old.close() }
            feed = nil
            let text = args.string(2)
            if !text.isEmpty, text != "#none" {
                let iterator = self.iterator
                let first = Array(pending)
                pending = []
                // One record per hand-over, from the iterator `consume` uses: the records stay
                // the consumer's until Tcl has them (their offsets are stored after that).
                feed = TclCallbackFeed(interp: interp, script: TclScript(args[2]), initial: first) {
                    await iterator.next(timeout: .seconds(1)).map { [$0] } ?? []
                }
            }
        case "offsets":
            return try offsets(args)
        case "watermarks":
            return try watermarks(args)
        case "meta":
            return try metadataCache.meta(args)
        case "info":
            return try metadataCache.info(args)
        case "delete":
            try args.expect(2, words: 2, "")
            deleteCommand()
        default:
            throw .badWord("option", sub, Self.subcommands)
        }
        return nil
    }

    /// `consume ?TIMEOUT?`: the next record as a list, or an empty result if none came in time.
    private func consume(timeout: Duration) throws(TclError) -> TclObj? {
        guard feed == nil else {
            throw TclError(
                "\(name) has a callback: its records go there (clear it with: \(name) callback {})", errorCode: ["KAFKA", "STATE"])
        }
        if let message = pending.popFirst() { return TclMessage.list(message) }
        if let error = consumeErrors.pop() { return TclMessage.error(error) }
        let iterator = self.iterator
        let message = try kafka { try TclBlocking.run { await iterator.next(timeout: timeout) } }
        return message.map(TclMessage.list)
    }

    /// `commit ?-async? ?TUPLE ...?`: what was handed out (or the offsets given) is committed.
    private func commit(_ args: TclArgs) throws(TclError) {
        var first = 2
        var async = false
        if args.count > 2, args.string(2) == "-async" {
            async = true
            first = 3
        }
        let offsets = try Self.tuples(args, from: first)
        let consumer = self.consumer
        if async {
            try kafka { try consumer.commitAsync(offsets.isEmpty ? nil : offsets) }
        } else if offsets.isEmpty {
            try kafka { try TclBlocking.run { try await consumer.commitConsumed() } }
        } else {
            try kafka { try TclBlocking.run { try await consumer.commit(offsets) } }
        }
    }

    /// Options `-committed`, `-cached`, `-timeout MS` before the other words.
    private struct Options {
        var committed = false
        var cached = false
        var timeout: Duration = .seconds(5)
        var rest = 2
    }

    private func options(_ args: TclArgs, allowed: Set<String>, usage: String) throws(TclError) -> Options {
        var options = Options()
        while options.rest < args.count, args.string(options.rest).hasPrefix("-") {
            let word = args.string(options.rest)
            guard allowed.contains(word) else { throw .badWord("option", word, allowed.sorted()) }
            switch word {
            case "-committed": options.committed = true
            case "-cached": options.cached = true
            default:
                guard options.rest + 1 < args.count else { throw .wrongArgs(2, usage) }
                options.timeout = try TclReader.timeout(args, options.rest + 1)
                options.rest += 1
            }
            options.rest += 1
        }
        return options
    }

    /// `offsets ?-committed? ?-timeout MS? TUPLE ?TUPLE ...?`: positions, or committed offsets.
    private func offsets(_ args: TclArgs) throws(TclError) -> TclObj? {
        let usage = "?-committed? ?-timeout ms? {topic partition} ?{topic partition}...?"
        let options = try options(args, allowed: ["-committed", "-timeout"], usage: usage)
        guard options.rest < args.count else { throw .wrongArgs(2, usage) }
        let partitions = try Self.tuples(args, from: options.rest)
        let consumer = self.consumer
        let found: [KafkaTopicPartition]
        if options.committed {
            let timeout = options.timeout
            found = try kafka { try TclBlocking.run { try await consumer.committed(partitions, timeout: timeout) } }
        } else {
            found = try kafka { try consumer.position(partitions) }
        }
        return Self.list(found, offsets: true)
    }

    /// `watermarks ?-cached? ?-timeout MS? TOPIC PARTITION`: `{low high}`.
    private func watermarks(_ args: TclArgs) throws(TclError) -> TclObj? {
        let usage = "?-cached? ?-timeout ms? topic partition"
        let options = try options(args, allowed: ["-cached", "-timeout"], usage: usage)
        guard args.count - options.rest == 2 else { throw .wrongArgs(2, usage) }
        let topic = args.string(options.rest)
        let partition = Int32(clamping: try args.int(options.rest + 1))
        let consumer = self.consumer, timeout = options.timeout
        let (low, high) = options.cached
            ? try kafka { try consumer.cachedWatermarks(topic: topic, partition: partition) }
            : try kafka { try TclBlocking.run { try await consumer.watermarks(topic: topic, partition: partition, timeout: timeout) } }
        return Tcl.list([Tcl.new(low), Tcl.new(high)])
    }

    /// Partitions as `{topic partition ?offset?}` lists.
    static func list(_ partitions: [KafkaTopicPartition], offsets: Bool) -> TclObj {
        Tcl.list(partitions.map { p in
            var tuple = [Tcl.new(p.topic), Tcl.new(p.partition)]
            if offsets { tuple.append(TclMessage.offset(p.offset)) }
            return Tcl.list(tuple)
        })
    }

    /// The topics of `subscribe`: each word a topic, a list of topics, or a list of
    /// `{topic ...}` tuples (the first element of each is the topic).
    static func topics(_ args: TclArgs, from first: Int) throws(TclError) -> [String] {
        var topics: [String] = []
        for i in first..<args.count {
            for element in try args.list(i) {
                let fields = try Tcl.list(element, interp: args.interp)
                if let topic = fields.first { topics.append(Tcl.string(topic)) }
            }
        }
        guard !topics.isEmpty else { throw TclError("subscribe: no topic given", errorCode: ["KAFKA", "ARGS"]) }
        return topics
    }

    /// `{topic ?partition? ?offset?}` tuples, one per word — or, as one word, a list of them.
    static func tuples(_ args: TclArgs, from first: Int) throws(TclError) -> [KafkaTopicPartition] {
        var words: [TclObj] = (first..<args.count).map { args[$0] }
        if words.count == 1 {
            let inner = try Tcl.list(words[0], interp: args.interp)
            var nested = !inner.isEmpty
            for element in inner where nested {
                nested = (try? Tcl.list(element, interp: nil).count >= 2) ?? false
            }
            if nested { words = inner }
        }
        var result: [KafkaTopicPartition] = []
        for word in words {
            let fields = try Tcl.list(word, interp: args.interp)
            if fields.isEmpty { continue }
            guard fields.count <= 3 else {
                throw TclError("bad partition tuple \"\(Tcl.string(word))\": must be {topic ?partition? ?offset?}", errorCode: ["KAFKA", "ARGS"])
            }
            var partition: Int32 = 0
            var offset = KafkaOffset.invalid
            if fields.count >= 2 {
                var value = 0
                guard Tcl_GetLongFromObj(nil, fields[1], &value) == TCL_OK, value >= 0, value <= Int(Int32.max) else {
                    throw TclError("bad partition \"\(Tcl.string(fields[1]))\" in tuple \"\(Tcl.string(word))\"", errorCode: ["KAFKA", "ARGS"])
                }
                partition = Int32(value)
            }
            if fields.count == 3 {
                let offsetArgs = [fields[2]] as [TclObj?]
                offset = try offsetArgs.withUnsafeBufferPointer { (buffer) throws(TclError) in
                    try TclOffset.parse(TclArgs(interp: args.interp, objc: 1, objv: buffer.baseAddress!), 0)
                }
            }
            result.append(KafkaTopicPartition(topic: Tcl.string(fields[0]), partition: partition, offset: offset.rawValue))
        }
        return result
    }

    override func commandDeleted() {
        feed?.close()
        feed = nil
        let consumer = self.consumer
        _ = try? TclBlocking.run { await consumer.close() }
        eventsTask?.cancel()
        inbox.deliver = { _ in }
        _ = inbox.close()
    }
}

/// The subscriber's message iterator, moved into the task that waits on it.
///
/// `@unchecked Sendable`: used by one task at a time — Tcl's thread waits for each `consume`.
final class TclIteratorBox: @unchecked Sendable {
    private let messages: KafkaConsumerMessages
    private var iterator: KafkaConsumerMessages.AsyncIterator?

    init(_ messages: KafkaConsumerMessages) {
        self.messages = messages
    }

    private enum Outcome: @unchecked Sendable {
        // @unchecked: the iterator moves from the child task back to its one owner.
        case message(KafkaConsumerMessage?, KafkaConsumerMessages.AsyncIterator)
        case timedOut
    }

    /// `@unchecked Sendable`: moves the iterator into the one child task that uses it.
    private struct Moved: @unchecked Sendable { var iterator: KafkaConsumerMessages.AsyncIterator }

    /// The next record, or `nil` if none came within `timeout`. A record the iterator got as
    /// the timeout struck is returned, not dropped; an iterator stopped by the timeout is
    /// replaced by a new one next time (records it left stay with the consumer).
    func next(timeout: Duration) async -> KafkaConsumerMessage? {
        let start = Moved(iterator: iterator ?? messages.makeAsyncIterator())
        iterator = nil
        let (message, kept) = await withTaskGroup(of: Outcome.self) { group -> (KafkaConsumerMessage?, KafkaConsumerMessages.AsyncIterator?) in
            group.addTask {
                var iterator = start.iterator
                let message = await iterator.next()
                return .message(message, iterator)
            }
            group.addTask {
                // A zero timeout still gives a take from librdkafka's queue its moment.
                try? await Task.sleep(for: max(timeout, .milliseconds(1)))
                return .timedOut
            }
            var message: KafkaConsumerMessage? = nil
            var kept: KafkaConsumerMessages.AsyncIterator? = nil
            for await outcome in group {
                group.cancelAll()
                if case .message(let m, let iterator) = outcome, let m {
                    message = m
                    kept = iterator
                }
            }
            return (message, kept)
        }
        iterator = kept
        return message
    }
}

/// The newest record errors, for a subscriber's `consume` (at most 100 kept).
final class TclErrorQueue: Sendable {
    private let errors = Mutex<[KafkaError]>([])

    func push(_ error: KafkaError) {
        errors.withLock { errors in
            if errors.count == 100 { errors.removeFirst() }
            errors.append(error)
        }
    }

    func pop() -> KafkaError? {
        errors.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}
