import Foundation
import KafkaKit
import _KafkaKitCLISupport

/// `kafka produce`'s sending, on the command's own thread (``CommandThread``): each record is
/// handed to librdkafka in place (borrowed bytes, which librdkafka copies), and a full queue
/// blocks that thread inside librdkafka until a record leaves the queue
/// (`RD_KAFKA_MSG_F_BLOCK`). That wait needs no delivery report, so it works also when only
/// failures are reported (`delivery.report.only.error`).
///
/// Used by one task at a time: the sending task, then `run()` reading the totals after it.
final class RecordSender {
    let producer: KafkaProducer
    let topic: String
    let partition: Int32?
    let fixedKey: [UInt8]?
    let fixedHeaders: [KafkaHeader]
    let emptyAsNull: Bool
    let tee: TeeOutput?
    let limit: Int?
    let progress: Progress
    let counts: DeliveryCounts
    /// Whether librdkafka reports delivered records too (not with delivery.report.only.error).
    let reportsSuccess: Bool
    /// The topic's handle, for records without headers (made once).
    let topicHandle: KafkaProducerTopicHandle

    /// Records queued, and records librdkafka refused (each reported on stderr, the first 5).
    private(set) var sent = 0
    private(set) var notQueued = 0
    /// Records read but not sent because the stop's bound passed (``StopSignals/isAbandoned``).
    private(set) var abandoned = 0

    init(
        producer: KafkaProducer, topic: String, partition: Int32?, fixedKey: [UInt8]?, fixedHeaders: [KafkaHeader],
        emptyAsNull: Bool, tee: TeeOutput?, limit: Int?, progress: Progress, counts: DeliveryCounts, reportsSuccess: Bool
    ) {
        self.producer = producer
        self.topic = topic
        self.partition = partition
        self.fixedKey = fixedKey
        self.fixedHeaders = fixedHeaders
        self.emptyAsNull = emptyAsNull
        self.tee = tee
        self.limit = limit
        self.progress = progress
        self.counts = counts
        self.reportsSuccess = reportsSuccess
        topicHandle = producer.topicHandle(topic)
    }

    /// Whether `--count` records were sent.
    var reachedLimit: Bool { limit.map { sent + abandoned >= $0 } ?? false }

    /// Delivered so far, for the progress line: counted from reports, or (reports of
    /// failures only) what is neither in librdkafka's queue nor failed.
    func delivered(sent: Int) -> Int {
        reportsSuccess ? counts.delivered : max(0, sent - producer.outputQueueLength - counts.failed)
    }

    /// Stopped at the first record librdkafka refuses (in a transaction, which is then doomed).
    var stopsOnRefusal: StopSignals?

    /// A record librdkafka refused (the first 5 are shown).
    fileprivate func refused(_ error: KafkaError, count: Int) {
        if count <= 5 { printError("kafka: not queued: \(error)") }
        stopsOnRefusal?.requestStop()
    }

    fileprivate func tick(sentHere: Int, notQueuedHere: Int) {
        let sent = self.sent + sentHere
        progress.tick(sent: sent, delivered: delivered(sent: sent), failed: counts.failed + notQueued + notQueuedHere)
    }

    /// One record: the whole file.
    func sendWholeFile(_ path: String, stop: StopSignals) throws {
        let content = try Self.readWholeFile(path)
        if stop.isAbandoned {
            abandoned += 1
            return
        }
        do {
            let id = try withBytes(fixedKey?[...]) { key in
                try content.withUnsafeBytes { value in
                    try producer.sendBlockingWhenFull(
                        topic: topic, partition: partition, key: key, value: emptyAsNull && content.isEmpty ? nil : value,
                        timestampMilliseconds: nil, headers: fixedHeaders)
                }
            }
            sent += 1
            tee?.sent(id, content)
        } catch let error as KafkaError {
            notQueued += 1
            refused(error, count: notQueued)
        }
    }

    static func readWholeFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CLIFailure.kafka("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var content: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIFailure.kafka("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return content }
            content += chunk[0..<n]
        }
    }

    /// Records of a file (`-`: standard input) split at the delimiters, or JSON lines.
    ///
    /// After a stop, the records already read are still sent; an unterminated last record
    /// (the input was cut mid-record) is not, and is reported.
    func sendRecords(from path: String, _ options: InputOptions, stop: StopSignals) async throws {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { throw CLIFailure.kafka("cannot open \(path): \(String(cString: strerror(errno)))") }
        let name = path == "-" ? "standard input" : path
        let reader = InputReader(fd: fd, path: path, stop: stop)
        // The key is split off by the splitter unless headers come first.
        var splitter = KafkaRecordSplitter(delimiter: options.delimiter, keyDelimiter: options.headerDelimiter == nil ? options.keyDelimiter : nil)
        var records = RecordQueue(sender: self, options: options, inputName: name, stop: stop)
        defer {
            sent += records.sent
            notQueued += records.notQueued
            abandoned += records.abandoned
        }
        for await chunk in reader.chunks {
            splitter.append(try chunk.get())
            reader.taken()
            if records.hasFastPath {
                records.sendInPlace(&splitter)
            } else {
                try records.send(&splitter)
            }
            if records.reachedLimit { return }
        }
        guard !records.reachedLimit, splitter.pendingCount > 0 else { return }
        if reader.stoppedEarly {
            printError("kafka produce: \(splitter.pendingCount) bytes after the last delimiter of \(name) not sent (stopped mid-record)")
            return
        }
        if let last = splitter.finishRecord(), let record = try records.prepare(last, splitter) { records.send(record) }
    }

    /// `name=value,name2=value2`: a name without `=` has a null value; empty pieces are skipped.
    static func parseHeaders(_ text: ArraySlice<UInt8>) -> [KafkaHeader] {
        text.split(separator: 44, omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: 61) {
                return KafkaHeader(key: String(decoding: pair[..<eq], as: UTF8.self), value: Array(pair[(eq + 1)...]))
            }
            return KafkaHeader(key: String(decoding: pair, as: UTF8.self), value: nil as [UInt8]?)
        }
    }
}

/// A record made from input, ready to send: slices of the input (or of the JSON parser's
/// bytes).
struct PreparedRecord {
    var key: ArraySlice<UInt8>?
    var value: ArraySlice<UInt8>?
    var headers: [KafkaHeader]
    var partition: Int32?
    var timestamp: Int64?
    /// The record as read, for -T.
    var input: ArraySlice<UInt8>
}

/// `kafka produce`'s per-record work for one input: splitting, parsing, sending. A struct of
/// plain values: the loop reads no class property per record (each would cost an exclusivity
/// check and a retain).
struct RecordQueue {
    let producer: KafkaProducer
    let topic: String
    let partition: Int32?
    let fixedKey: ArraySlice<UInt8>?
    let fixedHeaders: [KafkaHeader]
    let emptyAsNull: Bool
    let tee: TeeOutput?
    let limit: Int
    let options: InputOptions
    let inputName: String
    let sender: RecordSender
    let topicHandle: KafkaProducerTopicHandle
    /// The fast path's records, handed over ``batchCapacity`` at a time.
    let batch: KafkaProducerBatch
    let stop: StopSignals
    var parser = KafkaJSONRecordParser()
    var line = 0
    private(set) var sent = 0
    private(set) var notQueued = 0
    private(set) var abandoned = 0

    init(sender: RecordSender, options: InputOptions, inputName: String, stop: StopSignals) {
        producer = sender.producer
        topic = sender.topic
        partition = sender.partition
        fixedKey = sender.fixedKey?[...]
        fixedHeaders = sender.fixedHeaders
        emptyAsNull = sender.emptyAsNull
        tee = sender.tee
        // What earlier inputs sent counts toward --count.
        limit = sender.limit.map { $0 - sender.sent - sender.abandoned } ?? .max
        self.options = options
        self.inputName = inputName
        self.sender = sender
        topicHandle = sender.topicHandle
        batch = KafkaProducerBatch(capacity: Self.batchCapacity)
        self.stop = stop
    }

    /// Records per `rd_kafka_produce_batch` call: enough that the per-call costs (a clock
    /// read, the topic's lock) vanish per record, few enough that a batch stays in the cache.
    static let batchCapacity = 512

    var reachedLimit: Bool { sent + abandoned >= limit }

    /// Plain records (no JSON, no headers at all, no -T) go through ``sendInPlace(_:)``.
    var hasFastPath: Bool { !options.json && options.headerDelimiter == nil && tee == nil && fixedHeaders.isEmpty }

    /// Sends the splitter's records straight from its buffer: no slice, no array, no retain
    /// per record, up to the limit. They go to librdkafka ``batchCapacity`` at a time
    /// (`rd_kafka_produce_batch`), each batch before the splitter's bytes may move.
    mutating func sendInPlace(_ splitter: inout KafkaRecordSplitter) {
        let producer = self.producer, partition = self.partition, handle = self.topicHandle, batch = self.batch
        let emptyAsNull = self.emptyAsNull, keyDelimiter = options.keyDelimiter, limit = self.limit, sender = self.sender
        let stop = self.stop
        var sent = self.sent
        var notQueued = self.notQueued
        var abandoned = self.abandoned
        defer {
            self.sent = sent
            self.notQueued = notQueued
            self.abandoned = abandoned
        }
        // Records in the batch, not yet handed over: they count toward the limit.
        var collected = 0
        var ticked = sent >> 10
        func flush() {
            var from = 0
            while from < collected {
                // A blocked send may have waited past the stop's bound.
                if stop.isAbandoned {
                    abandoned += collected - from
                    break
                }
                let (queued, next) = producer.sendBlockingWhenFull(
                    to: handle, partition: partition, batch: batch, from: from, to: collected
                ) { _, error in
                    notQueued += 1
                    sender.refused(error, count: sender.notQueued + notQueued)
                }
                sent += queued
                from = next
            }
            collected = 0
            if sent >> 10 != ticked {
                ticked = sent >> 10
                sender.tick(sentHere: sent, notQueuedHere: notQueued)
            }
        }
        withBytes(fixedKey) { fixedKey in
            // Records refused in the last batch leave room under the limit: go on with the next.
            var stoppedAtLimit = true
            while stoppedAtLimit, sent + abandoned < limit {
                stoppedAtLimit = false
                splitter.forEachRecord({ record in
                    guard sent + collected + abandoned < limit else {
                        stoppedAtLimit = true
                        return false
                    }
                    if stop.isAbandoned {
                        abandoned += 1
                        return true
                    }
                    var key = fixedKey
                    var value = record
                    if let keyDelimiter, let base = record.baseAddress,
                       let at = KafkaRecordSplitter.find(keyDelimiter, in: base, from: 0, to: record.count) {
                        key = UnsafeRawBufferPointer(start: base, count: at)
                        value = UnsafeRawBufferPointer(start: base + at + keyDelimiter.count, count: record.count - at - keyDelimiter.count)
                    }
                    if emptyAsNull, key?.count == 0 { key = nil }
                    batch.set(collected, key: key, value: emptyAsNull && value.isEmpty ? nil : value)
                    collected += 1
                    if collected == batch.capacity { flush() }
                    return true
                }, then: flush)
            }
        }
    }

    /// Sends every record the splitter holds, up to the limit (the general path).
    mutating func send(_ splitter: inout KafkaRecordSplitter) throws {
        while !reachedLimit, let raw = splitter.nextRecord() {
            if let record = try prepare(raw, splitter) { send(record) }
        }
    }

    /// Key, value and headers of one record; `nil` for a blank line of JSON input.
    mutating func prepare(_ raw: ArraySlice<UInt8>, _ splitter: KafkaRecordSplitter) throws -> PreparedRecord? {
        line += 1
        if options.json { return try prepareJSON(raw) }
        var key: ArraySlice<UInt8>?
        var value = raw
        var headers = fixedHeaders
        if let headerDelimiter = options.headerDelimiter {
            if let range = KafkaRecordSplitter.find(headerDelimiter, in: raw) {
                headers = RecordSender.parseHeaders(raw[..<range.lowerBound]) + fixedHeaders
                value = raw[range.upperBound...]
            }
            if let keyDelimiter = options.keyDelimiter, let range = KafkaRecordSplitter.find(keyDelimiter, in: value) {
                key = value[..<range.lowerBound]
                value = value[range.upperBound...]
            }
        } else if options.keyDelimiter != nil {
            (key, value) = splitter.keyAndValue(of: raw)
        }
        if key == nil { key = fixedKey }
        if emptyAsNull, key?.isEmpty == true { key = nil }
        return PreparedRecord(
            key: key, value: emptyAsNull && value.isEmpty ? nil : value, headers: headers,
            partition: partition, timestamp: nil, input: raw)
    }

    private mutating func prepareJSON(_ raw: ArraySlice<UInt8>) throws -> PreparedRecord? {
        let blank: Bool = try raw.withUnsafeBytes { bytes in
            if KafkaJSONRecordParser.isBlank(bytes) { return true }
            do {
                try parser.parse(bytes)
            } catch {
                throw CLIFailure.kafka("\(inputName) line \(line): \(error); stopped reading there")
            }
            return false
        }
        if blank { return nil }
        let bytes = parser.bytes
        let headers: [KafkaHeader] = parser.headers.isEmpty ? fixedHeaders : parser.headers.map { header in
            KafkaHeader(key: String(decoding: bytes[header.name], as: UTF8.self), value: header.value.map { Array(bytes[$0]) })
        } + fixedHeaders
        return PreparedRecord(
            key: parser.key.map { bytes[$0] }, value: parser.value.map { bytes[$0] }, headers: headers,
            partition: partition ?? parser.partition, timestamp: parser.timestamp, input: raw)
    }

    /// Hands the record over in place (waiting, on the command's thread, while the queue is full).
    mutating func send(_ record: PreparedRecord) {
        if stop.isAbandoned {
            abandoned += 1
            return
        }
        do {
            let id = try withBytes(record.key) { key in
                try withBytes(record.value) { value in
                    try producer.sendBlockingWhenFull(
                        topic: topic, partition: record.partition, key: key, value: value,
                        timestampMilliseconds: record.timestamp, headers: record.headers)
                }
            }
            sent += 1
            if let tee { tee.sent(id, Array(record.input) + options.delimiter) }
            if sent & 1023 == 0 { sender.tick(sentHere: sent, notQueuedHere: notQueued) }
        } catch let error as KafkaError {
            notQueued += 1
            sender.refused(error, count: sender.notQueued + notQueued)
        } catch {
            notQueued += 1
        }
    }
}

@inline(__always)
private func withBytes<R>(_ bytes: ArraySlice<UInt8>?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBytes { try body($0) }
}
