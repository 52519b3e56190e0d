import Foundation
import KafkaKit
import Synchronization

/// `kafka consume`'s print loop. It formats records into a buffer and writes the buffer out:
/// after every record when standard output is a terminal; otherwise when the buffer holds
/// 64 KiB, whenever the consumer has nothing more ready (the loop is about to wait: see
/// ``PrintThread``), and at the end.
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
    let thread = PrintThread()

    private let consumer: KafkaConsumer
    private let topic: String
    private let json: Bool
    private let count: Int?
    private let storesOffsets: Bool
    private let flushesEachRecord = isatty(1) != 0
    private let endReached = Atomic<Bool>(false)
    private let loop = Mutex<Task<Result, Never>?>(nil)

    // On `thread` only. The buffer sits in memory of its own: a stored `var` of a class would
    // pay a dynamic exclusivity check on each of the two accesses per record.
    private let output = UnsafeMutablePointer<OutputBuffer>.allocate(capacity: 1)
    /// Per partition: the offset after the last record written out and not stored yet, or -1.
    private var unstored: [Int64] = []
    private var failure: String?

    struct Result: Sendable {
        /// Records printed.
        var written: Int
        /// Why output stopped, if it could not be written.
        var failure: String?
    }

    init(consumer: KafkaConsumer, topic: String, json: Bool, count: Int?, storesOffsets: Bool) {
        self.consumer = consumer
        self.topic = topic
        self.json = json
        self.count = count
        self.storesOffsets = storesOffsets
        output.initialize(to: OutputBuffer())
        thread.idle = { [weak self] in self?.becameIdle() }
    }

    deinit {
        output.deinitialize(count: 1)
        output.deallocate()
    }

    /// Prints records until `count` of them, the end (after ``reachedEnd()``), a stop signal,
    /// a failed write or the consumer's close.
    func run(stop: StopSignals) async -> Result {
        let task = Task(executorPreference: thread) { await self.printLoop(stop) }
        loop.withLock { $0 = task }
        stop.onStop { task.cancel() }
        return await task.value
    }

    /// Every partition is at its end: the loop stops once it has nothing more ready.
    func reachedEnd() {
        endReached.store(true, ordering: .releasing)
        thread.wakeIdle()
    }

    private func printLoop(_ stop: StopSignals) async -> Result {
        assert(thread.isCurrent)
        var written = 0
        let json = self.json, count = self.count, storesOffsets = self.storesOffsets, flushesEachRecord = self.flushesEachRecord
        for await message in consumer.messages {
            if json { output.pointee.appendJSON(message) } else { output.pointee.appendValue(message) }
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
        return Result(written: written, failure: failure)
    }

    private func noteWritten(_ message: KafkaConsumerMessage) {
        let partition = Int(message.partition)
        if partition >= unstored.count { unstored += repeatElement(-1, count: partition + 1 - unstored.count) }
        unstored[partition] = message.offset + 1
    }

    /// Writes out the buffer, then stores the offsets of what it held; `false` once output failed.
    @discardableResult
    private func flush() -> Bool {
        guard failure == nil else { return false }
        if let error = output.pointee.flush() {
            failure = "cannot write the output: \(String(cString: strerror(error)))"
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
        flush()
        if endReached.load(ordering: .acquiring) { loop.withLock { $0 }?.cancel() }
    }
}
