import KafkaKit
import Synchronization

/// Feeds a Tcl callback from a started partition, a queue or a subscriber (`start P OFFSET
/// CALLBACK`, `consume_callback CMD`, `callback CMD`): a task reads records and hands each
/// read to the interpreter's event loop, reading again only once the callback has had the
/// last — so a script that stops running its event loop holds at most one read, and
/// librdkafka's own bounded queue the rest.
///
/// Closing it (the callback cleared or replaced, the partition stopped, the object deleted —
/// also from inside the callback) waits for the task to end and returns every record it had
/// read that the callback did not get: a cleared callback's records go to the next read.
final class TclCallbackFeed {
    enum Item: Sendable {
        case messages([KafkaConsumerMessage], TclFeedResume)
        case error(KafkaError, TclFeedResume)
    }

    let inbox: TclInbox<Item>
    private let task: Task<Void, Never>
    /// Records the task read after the inbox closed (it could not hand them over).
    private let leftovers: TclFeedLeftovers
    /// The command each message (as a list) or error (`error code message`) is passed to.
    let script: TclScript
    private(set) var isClosed = false
    /// While a read is handed to the callback: its records not yet passed, and its resume.
    private var delivering: (rest: ArraySlice<KafkaConsumerMessage>, resume: TclFeedResume)?

    /// `read` returns `nil` when there is nothing more to read for good (the consumer closed).
    /// `initial` records (taken from librdkafka before, not yet seen by Tcl) are passed first.
    init(
        interp: TclInterp, script: TclScript, initial: [KafkaConsumerMessage] = [],
        read: @escaping @Sendable () async throws -> [KafkaConsumerMessage]?
    ) {
        self.script = script
        let inbox = TclInbox<Item>(deliver: { _ in })
        // Holds the initial records until the task hands them over (or close takes them back).
        let leftovers = TclFeedLeftovers()
        leftovers.keep(initial)
        self.inbox = inbox
        self.leftovers = leftovers
        task = Task.detached {
            while !Task.isCancelled {
                var taken: [KafkaConsumerMessage] = []
                let item: (TclFeedResume) -> Item
                do {
                    let earlier = leftovers.take()
                    guard let messages = earlier.isEmpty ? try await read() : earlier else { return }
                    if messages.isEmpty { continue }
                    taken = messages
                    item = { .messages(messages, $0) }
                } catch let error as KafkaError {
                    // A partition that is gone or stopped ends the feed; other errors are reported.
                    if error.code == .invalidState || error.code == .unknownPartition || error.code == .destroyed { return }
                    item = { .error(error, $0) }
                } catch {
                    return
                }
                let resume = TclFeedResume()
                await withCheckedContinuation { continuation in
                    resume.arm(continuation)
                    if !inbox.post(item(resume)) {
                        leftovers.keep(taken)
                        resume()
                    }
                }
            }
        }
        inbox.deliver = { [weak self] items in
            // Strong for the whole delivery: the callback may close (and release) the feed.
            guard let self else { return }
            Tcl.preserving(interp) { self.deliver(items, interp: interp) }
        }
    }

    private func deliver(_ items: [Item], interp: TclInterp) {
        for item in items {
            switch item {
            case .messages(let messages, let resume):
                delivering = (ArraySlice(messages), resume)
                while !isClosed, let message = delivering?.rest.popFirst() {
                    // false: the interpreter is being deleted, and with it this feed.
                    guard script.call(interp, [TclMessage.list(message)]) else { break }
                }
                delivering = nil
                resume()
            case .error(let error, let resume):
                if !isClosed { script.call(interp, [TclMessage.error(error)]) }
                resume()
            }
        }
    }

    /// Stops the feed and returns, in order, the records it read that the callback did not get.
    @discardableResult
    func close() -> [KafkaConsumerMessage] {
        guard !isClosed else { return [] }
        isClosed = true
        var unread: [KafkaConsumerMessage] = []
        if let delivering {
            unread += delivering.rest
            self.delivering?.rest = []
            delivering.resume()
        }
        for item in inbox.close() {
            switch item {
            case .messages(let messages, let resume):
                unread += messages
                resume()
            case .error(_, let resume):
                resume()
            }
        }
        inbox.deliver = { _ in }
        task.cancel()
        // Ends at once: its read is cancelled, or its hand-over finds the inbox closed.
        let task = self.task
        _ = try? TclBlocking.run { await task.value }
        return unread + leftovers.take()
    }

    deinit { task.cancel() }
}

/// Resumes the feed's task once, however many paths (delivery, close) try.
final class TclFeedResume: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, done: Bool)>((nil, false))

    func arm(_ continuation: CheckedContinuation<Void, Never>) {
        let resumeNow = state.withLock { state -> Bool in
            if state.done { return true }
            state.continuation = continuation
            return false
        }
        if resumeNow { continuation.resume() }
    }

    func callAsFunction() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}

/// Records a feed's task read after its inbox closed.
final class TclFeedLeftovers: Sendable {
    private let messages = Mutex<[KafkaConsumerMessage]>([])
    func keep(_ new: [KafkaConsumerMessage]) { messages.withLock { $0 += new } }
    func take() -> [KafkaConsumerMessage] { messages.withLock { m in defer { m = [] }; return m } }
}
