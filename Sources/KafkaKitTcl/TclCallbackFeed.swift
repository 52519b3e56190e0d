import KafkaKit

/// Feeds a Tcl callback from a started partition or a queue (`start P OFFSET CALLBACK`,
/// `consume_callback CMD`): a task reads batches and hands each to the interpreter's event
/// loop, reading the next only once the callback has had the last — so a script that stops
/// running its event loop holds at most one batch, and librdkafka's own bounded queue the rest.
final class TclCallbackFeed {
    enum Item: Sendable {
        case messages(KafkaConsumerBatch, Resume)
        case error(KafkaError, Resume)
    }

    /// Lets the reading task go on once Tcl has had an item.
    struct Resume: Sendable {
        let continuation: CheckedContinuation<Void, Never>
        func callAsFunction() { continuation.resume() }
    }

    let inbox: TclInbox<Item>
    private let task: Task<Void, Never>
    /// The command each message (as a list) or error (`error code message`) is passed to.
    var script: TclScript

    /// `read` returns `nil` when there is nothing more to read for good (the consumer closed).
    init(interp: TclInterp, script: TclScript, read: @escaping @Sendable () async throws -> KafkaConsumerBatch?) {
        self.script = script
        let inbox = TclInbox<Item>(deliver: { _ in })
        self.inbox = inbox
        task = Task.detached {
            while !Task.isCancelled {
                let item: (Resume) -> Item
                do {
                    guard let batch = try await read() else { return }
                    if batch.isEmpty { continue }
                    item = { .messages(batch, $0) }
                } catch let error as KafkaError {
                    // A partition that is gone or stopped ends the feed; other errors are reported.
                    if error.code == .invalidState || error.code == .unknownPartition || error.code == .destroyed { return }
                    item = { .error(error, $0) }
                } catch {
                    return
                }
                await withCheckedContinuation { continuation in
                    let resume = Resume(continuation: continuation)
                    if !inbox.post(item(resume)) { resume() }
                }
            }
        }
        inbox.deliver = { [unowned self] items in
            for item in items {
                switch item {
                case .messages(let batch, let resume):
                    for message in batch where !self.isClosed { self.script.call(interp, [TclMessage.list(message)]) }
                    resume()
                case .error(let error, let resume):
                    if !self.isClosed { self.script.call(interp, [TclMessage.error(error)]) }
                    resume()
                }
            }
        }
    }

    private(set) var isClosed = false

    /// Stops the feed: the task ends, and what it had read but Tcl had not seen is dropped
    /// (as KafkaTcl's `stop` drops the partition's local queue).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        task.cancel()
        for item in inbox.close() {
            switch item {
            case .messages(_, let resume), .error(_, let resume): resume()
            }
        }
        inbox.deliver = { _ in }
    }

    deinit { task.cancel() }
}
