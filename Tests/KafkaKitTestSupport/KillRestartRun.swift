public import Foundation

/// Runs a consumer process again and again, killing it with SIGKILL at random points, and
/// gathers what it printed as processed: one line per record, parsed by the caller into a
/// partition and an offset. A line the test read is a record the process handed on, so at
/// least once means: after the final run, every record of the topic was read, none skipped.
public struct KillRestartRun {
    public struct Record: Hashable, Sendable {
        public var partition: Int32
        public var offset: Int64
        public init(partition: Int32, offset: Int64) {
            self.partition = partition
            self.offset = offset
        }
    }

    public let executable: URL
    public let arguments: [String]
    public let parse: (Substring) -> Record?
    public private(set) var seen = Set<Record>()
    /// Records printed again (by a later run, or the same one).
    public private(set) var duplicates = 0
    /// After how many lines each killed run was killed.
    public private(set) var kills: [Int] = []

    public init(executable: URL, arguments: [String], parse: @escaping (Substring) -> Record?) {
        self.executable = executable
        self.arguments = arguments
        self.parse = parse
    }

    /// One run killed after `lines` lines (or at its 120 s deadline).
    public mutating func runAndKill(after lines: Int) throws {
        kills.append(lines)
        _ = try run(killAfter: lines) { _ in false }
    }

    /// One run killed once every record of `total` was seen (or at its 120 s deadline).
    public mutating func runUntilAll(_ total: Int) throws {
        _ = try run(killAfter: nil) { $0.count >= total }
    }

    /// Whether each partition's offsets seen are 0 up to the highest seen, with no gap.
    public func gaps() -> [Int32: Int] {
        var byPartition: [Int32: [Int64]] = [:]
        for record in seen { byPartition[record.partition, default: []].append(record.offset) }
        var gaps: [Int32: Int] = [:]
        for (partition, offsets) in byPartition {
            let highest = offsets.max() ?? -1
            let missing = Int(highest + 1) - offsets.count
            if missing != 0 { gaps[partition] = missing }
        }
        return gaps
    }

    private mutating func run(killAfter: Int?, done: (Set<Record>) -> Bool) throws -> Int {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_CONF"] = nil
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer { watchdog.cancel() }
        let reader = out.fileHandleForReading
        var pending = Data()
        var lines = 0
        var killed = false
        while true {
            let data = reader.availableData
            if data.isEmpty { break }  // the process ended (killed, or the watchdog)
            let before = lines
            pending.append(data)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                guard let record = parse(line[...]) else { continue }
                if !seen.insert(record).inserted { duplicates += 1 }
                lines += 1
            }
            // Read at most ~50 000 records a second, so that commits happen within a run.
            usleep(UInt32(lines - before) * 20)
            if !killed, killAfter.map({ lines >= $0 }) ?? done(seen) {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        return lines
    }
}
