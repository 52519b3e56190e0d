import Foundation
import KafkaKit
import _KafkaKitCLISupport

/// `kafka produce`'s sending: each record read is handed to librdkafka in place (borrowed
/// bytes, synchronously); only a full queue takes an asynchronous path, which copies the
/// record and waits while reports drain.
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

    /// Records queued, and records librdkafka refused (each reported on stderr, the first 5).
    private(set) var sent = 0
    private(set) var notQueued = 0

    init(
        producer: KafkaProducer, topic: String, partition: Int32?, fixedKey: [UInt8]?, fixedHeaders: [KafkaHeader],
        emptyAsNull: Bool, tee: TeeOutput?, limit: Int?, progress: Progress, counts: DeliveryCounts
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
    }

    /// Whether `--count` records were sent.
    var reachedLimit: Bool { limit.map { sent >= $0 } ?? false }

    private func refused(_ error: any Error) {
        notQueued += 1
        if notQueued <= 5 { printError("kafka: not queued: \(error)") }
    }

    /// One record: the whole file.
    func sendWholeFile(_ path: String) async throws {
        let content = try Self.readWholeFile(path)
        var value: [UInt8]? = content
        if emptyAsNull, content.isEmpty { value = nil }
        let record = KafkaProducerRecord(topic: topic, partition: partition, key: fixedKey, value: value, headers: fixedHeaders)
        do {
            let id = try await producer.send(record)
            sent += 1
            tee?.sent(id, content)
        } catch {
            refused(error)
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
        // The key is split off here unless headers come first.
        var splitter = KafkaRecordSplitter(delimiter: options.delimiter, keyDelimiter: options.headerDelimiter == nil ? options.keyDelimiter : nil)
        var line = 0
        var parser = KafkaJSONRecordParser()
        // Plain locals in the loop: reading a class's properties per record costs exclusivity
        // checks and retains.
        let topic = self.topic, partition = self.partition, fixedKey = self.fixedKey, fixedHeaders = self.fixedHeaders
        let emptyAsNull = self.emptyAsNull, tee = self.tee, delimiter = options.delimiter
        let limit = self.limit ?? .max
        var sent = self.sent
        defer { self.sent = sent }

        /// Sends one record, in place if the queue has room; `false` when it is full.
        func trySend(_ key: UnsafeRawBufferPointer?, _ value: UnsafeRawBufferPointer?, _ headers: [KafkaHeader], _ partition: Int32?, _ timestamp: Int64?) -> KafkaProducerMessageID?? {
            do {
                let id = try producer.trySend(topic: topic, partition: partition, key: key, value: value, timestampMilliseconds: timestamp, headers: headers)
                sent += 1
                return id
            } catch let error where error.code == .queueFull {
                return nil
            } catch {
                refused(error)
                return .some(nil)
            }
        }

        /// The asynchronous path: the record copied, sent waiting for queue space.
        func sendWaiting(_ key: [UInt8]?, _ value: [UInt8]?, _ headers: [KafkaHeader], _ partition: Int32?, _ timestamp: Int64?) async -> KafkaProducerMessageID? {
            let record = KafkaProducerRecord(
                topic: topic, partition: partition, key: key, value: value, headers: headers,
                timestamp: timestamp.map { Date(timeIntervalSince1970: Double($0) / 1000) })
            do {
                let id = try await producer.send(record)
                sent += 1
                return id
            } catch {
                refused(error)
                return nil
            }
        }

        func send(_ key: ArraySlice<UInt8>?, _ value: ArraySlice<UInt8>, _ headers: [KafkaHeader], _ record: ArraySlice<UInt8>) async {
            var key = key
            if key == nil, let fixedKey { key = fixedKey[...] }
            if emptyAsNull, key?.isEmpty == true { key = nil }
            let nullValue = emptyAsNull && value.isEmpty
            let outcome: KafkaProducerMessageID?? = value.withUnsafeBytes { value in
                let value = nullValue ? nil : value
                guard let key else { return trySend(nil, value, headers, partition, nil) }
                return key.withUnsafeBytes { key in trySend(key, value, headers, partition, nil) }
            }
            let id = if let outcome { outcome } else { await sendWaiting(key.map(Array.init), nullValue ? nil : Array(value), headers, partition, nil) }
            if let tee, let id { tee.sent(id, Array(record) + delimiter) }
        }

        func sendJSON(_ record: ArraySlice<UInt8>) async throws {
            let blank: Bool = try record.withUnsafeBytes { bytes in
                if KafkaJSONRecordParser.isBlank(bytes) { return true }
                do {
                    try parser.parse(bytes)
                } catch {
                    throw CLIFailure.kafka("\(name) line \(line): \(error); stopped reading there")
                }
                return false
            }
            if blank { return }
            let headers: [KafkaHeader] = parser.headers.isEmpty ? fixedHeaders : parser.headers.map { header in
                KafkaHeader(key: String(decoding: parser.bytes[header.name], as: UTF8.self), value: header.value.map { Array(parser.bytes[$0]) })
            } + fixedHeaders
            let partition = partition ?? parser.partition
            let key = parser.key, value = parser.value, timestamp = parser.timestamp
            let outcome: KafkaProducerMessageID?? = parser.bytes.withUnsafeBytes { bytes in
                trySend(key.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }, value.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }, headers, partition, timestamp)
            }
            let id = if let outcome { outcome } else {
                await sendWaiting(key.map { Array(parser.bytes[$0]) }, value.map { Array(parser.bytes[$0]) }, headers, partition, timestamp)
            }
            if let tee, let id { tee.sent(id, Array(record) + delimiter) }
        }

        func handle(_ record: ArraySlice<UInt8>) async throws {
            line += 1
            if options.json { return try await sendJSON(record) }
            guard let headerDelimiter = options.headerDelimiter else {
                let (key, value) = splitter.keyAndValue(of: record)
                return await send(key, value, fixedHeaders, record)
            }
            var rest = record
            var headers = fixedHeaders
            if let range = KafkaRecordSplitter.find(headerDelimiter, in: record) {
                headers = Self.parseHeaders(record[..<range.lowerBound]) + fixedHeaders
                rest = record[range.upperBound...]
            }
            var key: ArraySlice<UInt8>?
            if let keyDelimiter = options.keyDelimiter, let range = KafkaRecordSplitter.find(keyDelimiter, in: rest) {
                key = rest[..<range.lowerBound]
                rest = rest[range.upperBound...]
            }
            await send(key, rest, headers, record)
        }

        for await chunk in reader.chunks {
            splitter.append(try chunk.get())
            reader.taken()
            while sent < limit, let record = splitter.nextRecord() {
                try await handle(record)
                if sent & 1023 == 0 { progress.tick(sent: sent, delivered: counts.delivered, failed: counts.failed + notQueued) }
            }
            if sent >= limit { break }
        }
        guard sent < limit, splitter.pendingCount > 0 else { return }
        if reader.stoppedEarly {
            printError("kafka produce: \(splitter.pendingCount) bytes after the last delimiter of \(name) not sent (stopped mid-record)")
            return
        }
        if let last = splitter.finishRecord() { try await handle(last) }
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
