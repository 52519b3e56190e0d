import Foundation
import KafkaKit
import Synchronization

/// `kafka consume`'s print loop. It formats records into a buffer (``RecordFormatter``) and
/// writes the buffer out: after every record when standard output is a terminal or with
/// `--unbuffered`; otherwise when the buffer holds 64 KiB, whenever the consumer has nothing
/// more ready (the loop is about to wait: see ``CommandThread``), and at the end.
///
/// With `--until` a record at or after that time is not printed (nor its offset stored): its
/// partition is finished and paused, and the loop ends once every partition is finished
/// (``ConsumeEnds``).
///
/// In a group it also stores offsets itself (`enable.auto.offset.store=false`): a record's
/// offset is stored only once the record was written out, so the group commits only what was
/// printed. Every record the loop takes from the consumer is printed before it stops.
///
/// `@unchecked Sendable`: the mutable state is touched only on ``thread`` — by the loop, whose
/// task prefers that thread as its executor (its code, the consumer's reading included, is
/// nonisolated), and by ``becameIdle()``, which the thread calls between jobs. A nonisolated
/// loop is what keeps the hot path free of a hop (and a lock of the task's preference record)
/// after every record, as an actor-isolated one would take.
final class RecordPrinter: @unchecked Sendable {
    let thread = CommandThread()

    private let consumer: KafkaConsumer
    private let topic: String
    private let formatter: RecordFormatter
    private let count: Int?
    private let until: Int64?
    private let ends: ConsumeEnds
    private let storesOffsets: Bool
    private let flushesEachRecord: Bool
    private let endReached = Atomic<Bool>(false)
    /// Set by the watch on standard output when its reader went away.
    private let readerGone = Atomic<Bool>(false)
    private let loop = Mutex<Task<Result, Never>?>(nil)

    // On `thread` only. The buffer sits in memory of its own: a stored `var` of a class would
    // pay a dynamic exclusivity check on each of the two accesses per record.
    private let output = UnsafeMutablePointer<OutputBuffer>.allocate(capacity: 1)
    /// Per partition: the offset after the last record written out and not stored yet, or -1.
    private var unstored: [Int64] = []
    /// Per partition: whether a record at or after `--until` was reached.
    private var finished: [Bool] = []
    private var failure: String?
    /// Whether the reader of standard output went away (EPIPE: `kafka consume | head`).
    private var outputClosed = false

    struct Result: Sendable {
        /// Records printed.
        var written: Int
        /// Why output stopped, if it could not be written (not when its reader went away).
        var failure: String?
        /// Whether output stopped because its reader went away: the end the reader chose, as
        /// a stop is (what it read is committed in a group, what it did not is not).
        var outputClosed = false
    }

    init(
        consumer: KafkaConsumer, topic: String, formatter: RecordFormatter, count: Int?, until: Int64?,
        ends: ConsumeEnds, storesOffsets: Bool, unbuffered: Bool
    ) {
        self.consumer = consumer
        self.topic = topic
        self.formatter = formatter
        self.count = count
        self.until = until
        self.ends = ends
        self.storesOffsets = storesOffsets
        flushesEachRecord = unbuffered || isatty(1) != 0
        output.initialize(to: OutputBuffer())
        thread.idle = { [weak self] in self?.becameIdle() }
    }

    deinit {
        output.pointee.release()
        output.deinitialize(count: 1)
        output.deallocate()
    }

    /// Prints records until `count` of them, the end (after ``reachedEnd()``), a stop signal,
    /// a failed write or the consumer's close.
    func run(stop: StopSignals) async -> Result {
        let task = Task(executorPreference: thread) { await self.printLoop(stop) }
        loop.withLock { $0 = task }
        stop.onStop { task.cancel() }
        watchReader(stop: stop)
        return await task.value
    }

    /// Standard output a pipe or a socket: a thread waits for its reader to go away
    /// (`POLLERR`, `POLLHUP`) and ends the loop then, also while it waits for records that
    /// may never come (`kafka consume | head -1` at the end of a topic). Weak: the thread
    /// may wait until the process ends, and must not keep the consumer.
    private func watchReader(stop: StopSignals) {
        var status = stat()
        guard fstat(1, &status) == 0, (status.st_mode & S_IFMT) == S_IFIFO || (status.st_mode & S_IFMT) == S_IFSOCK else { return }
        let wake = stop.wakeDescriptor
        let thread = Thread { [weak self] in
            // Events 0: only the errors and the hang-up, which poll always reports.
            var fds = [pollfd(fd: 1, events: 0, revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            while poll(&fds, 2, -1) < 0 && errno == EINTR {}
            guard fds[0].revents & Int16(POLLERR | POLLHUP) != 0, let self else { return }
            self.readerGone.store(true, ordering: .releasing)
            self.loop.withLock { $0 }?.cancel()
        }
        thread.name = "kafka.stdout"
        thread.start()
    }

    /// Every partition is at its end: the loop stops once it has nothing more ready.
    func reachedEnd() {
        endReached.store(true, ordering: .releasing)
        thread.wakeIdle()
    }

    private func printLoop(_ stop: StopSignals) async -> Result {
        assert(thread.isCurrent)
        var written = 0
        let formatter = self.formatter, count = self.count, until = self.until
        let storesOffsets = self.storesOffsets, flushesEachRecord = self.flushesEachRecord
        for await message in consumer.messages {
            if let until, isFinished(message.partition) || message.rawTimestamp.milliseconds >= until {
                passedUntil(message)
                continue
            }
            formatter.append(message, to: &output.pointee)
            if storesOffsets { noteWritten(message) }
            written += 1
            if flushesEachRecord || output.pointee.isLarge {
                guard flush() else { break }
            }
            if let count, written >= count { break }
            // Checked only after the record was printed: one taken is one printed.
            if stop.isStopRequested { break }
        }
        flush()
        return Result(written: written, failure: failure, outputClosed: outputClosed || readerGone.load(ordering: .acquiring))
    }

    /// A record at or after `--until`: its partition is finished (and paused, so that no more
    /// of it is fetched); the loop ends when no more is ready once every partition is.
    ///
    /// Later records of a finished partition are not printed either (their timestamps may be
    /// earlier): printing one would store an offset past the first record not printed.
    private func passedUntil(_ message: KafkaConsumerMessage) {
        let partition = message.partition
        let index = Int(partition)
        if index >= finished.count { finished += repeatElement(false, count: index + 1 - finished.count) }
        finished[index] = true
        let (newlyFinished, stop) = ends.reachedUntil(partition)
        if newlyFinished { try? consumer.pause([KafkaTopicPartition(topic: topic, partition: partition)]) }
        if stop { reachedEnd() }
    }

    @inline(__always)
    private func isFinished(_ partition: Int32) -> Bool {
        Int(partition) < finished.count && finished[Int(partition)]
    }

    private func noteWritten(_ message: KafkaConsumerMessage) {
        let partition = Int(message.partition)
        if partition >= unstored.count { unstored += repeatElement(-1, count: partition + 1 - unstored.count) }
        unstored[partition] = message.offset + 1
    }

    /// Writes out the buffer, then stores the offsets of what it held; `false` once output failed.
    @discardableResult
    private func flush() -> Bool {
        guard failure == nil && !outputClosed else { return false }
        if let error = output.pointee.flush() {
            if error == EPIPE {
                outputClosed = true
            } else {
                failure = "cannot write the output: \(String(cString: strerror(error)))"
            }
            return false
        }
        guard storesOffsets else { return true }
        var offsets: [KafkaTopicPartition] = []
        for (partition, next) in unstored.enumerated() where next >= 0 {
            offsets.append(KafkaTopicPartition(topic: topic, partition: Int32(partition), offset: next))
            unstored[partition] = -1
        }
        // A partition revoked meanwhile refuses its offset: its next owner prints those
        // records again (at least once, never lost).
        if !offsets.isEmpty { try? consumer.storeOffsets(offsets) }
        return true
    }

    /// On ``thread``, whenever the loop waits for records (or has not started, or has ended).
    private func becameIdle() {
        assert(thread.isCurrent)
        // A write that failed here ends the loop too: it would otherwise wait for records it
        // can no longer print (`kafka consume | head -1` waited for ever).
        if !flush() || endReached.load(ordering: .acquiring) { loop.withLock { $0 }?.cancel() }
    }
}
