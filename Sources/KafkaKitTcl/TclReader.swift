import CTcl
import KafkaKit

/// Reads for Tcl's `consume` and `consume_batch` on a started partition or a queue, keeping the
/// messages a `consume_batch` body did not get to (it broke out, or failed) for the next read:
/// nothing taken from librdkafka is dropped on the way to Tcl.
final class TclReader {
    typealias ReadOne = @Sendable (Duration) async throws -> (message: KafkaConsumerMessage?, reachedEnd: Bool)
    typealias ReadBatch = @Sendable (Int, Duration) async throws -> KafkaConsumerBatch

    private let readOne: ReadOne
    private let readBatch: ReadBatch
    private var held: ArraySlice<KafkaConsumerMessage> = []
    private let filler = TclArrayFiller()
    /// The most records one `consume_batch` reads.
    static let maximumBatch = 10_000

    init(readOne: @escaping ReadOne, readBatch: @escaping ReadBatch) {
        self.readOne = readOne
        self.readBatch = readBatch
    }

    /// Records a callback feed read but did not pass on: they come after those held, and
    /// before anything read from librdkafka later.
    func giveBack(_ messages: [KafkaConsumerMessage]) {
        held += messages
    }

    /// The records held (taken from librdkafka, not yet seen by Tcl): a new callback gets them first.
    func takeHeld() -> [KafkaConsumerMessage] {
        defer { held = [] }
        return Array(held)
    }

    /// A Tcl timeout in milliseconds; -1 waits for ever (about 24 days).
    static func timeout(_ args: TclArgs, _ i: Int) throws(TclError) -> Duration {
        let ms = try args.int(i)
        guard ms >= -1 else { throw TclError("bad timeout \(ms): must be milliseconds, or -1 to wait for ever", errorCode: ["KAFKA", "ARGS"]) }
        return .milliseconds(ms == -1 ? Int(Int32.max) : ms)
    }

    /// `consume TIMEOUT ARRAY`: 1 with a message in the array, 0 at the end of the partition;
    /// a timeout or a consume error is a Tcl error.
    func consume(_ interp: TclInterp, timeout: Duration, array: TclObj) throws(TclError) -> TclObj {
        filler.begin()
        if let message = held.popFirst() {
            try fill(interp, array, message, rest: [])
            return Tcl.new(1)
        }
        let readOne = self.readOne
        let (message, reachedEnd) = try kafka { try TclBlocking.run { try await readOne(timeout) } }
        if let message {
            try fill(interp, array, message, rest: [])
            return Tcl.new(1)
        }
        if reachedEnd {
            filler.clear(interp, array)
            return Tcl.new(0)
        }
        throw TclError(KafkaError(code: .timedOut, message: KafkaError.Code.timedOut.explanation))
    }

    /// `consume_batch TIMEOUT COUNT ARRAY CODE`: runs CODE for each message (or consume error)
    /// with the array filled; returns how many times it ran. `break` in CODE stops, and the
    /// messages after it stay for the next read; an error in CODE does the same, then is raised.
    func consumeBatch(_ interp: TclInterp, timeout: Duration, count: Int, array: TclObj, code: TclObj) throws(TclError) -> TclObj {
        guard count > 0 else { throw TclError("bad count \(count): must be at least 1", errorCode: ["KAFKA", "ARGS"]) }
        // Up to COUNT: one read takes at most a librdkafka batch's worth.
        let count = min(count, Self.maximumBatch)
        filler.begin()
        var messages: ArraySlice<KafkaConsumerMessage>
        if !held.isEmpty {
            let n = min(count, held.count)
            messages = held.prefix(n)
            held = held.dropFirst(n)
        } else {
            let readBatch = self.readBatch
            do {
                messages = ArraySlice(try TclBlocking.run { try await readBatch(count, timeout) })
            } catch let error as KafkaError {
                try filler.fill(interp, array, with: error)
                try Self.run(interp, code)
                return Tcl.new(1)
            } catch {
                throw TclError(any: error)
            }
        }
        var ran = 0
        while let message = messages.popFirst() {
            try fill(interp, array, message, rest: messages)
            ran += 1
            do {
                if try Self.run(interp, code) == TCL_BREAK { break }
            } catch {
                held = messages + held
                throw error
            }
        }
        held = messages + held
        return Tcl.new(ran)
    }

    /// Fills the array; if it cannot be set, `message` and `rest` go back first in line.
    private func fill(_ interp: TclInterp, _ array: TclObj, _ message: KafkaConsumerMessage, rest: ArraySlice<KafkaConsumerMessage>) throws(TclError) {
        do {
            try filler.fill(interp, array, with: message)
        } catch {
            held = [message] + rest + held
            throw error
        }
    }

    /// Runs a loop body: `TCL_OK`/`TCL_CONTINUE` go on, `TCL_BREAK` is returned, anything else
    /// (error, return) passes through to the caller as the command's own outcome.
    @discardableResult
    static func run(_ interp: TclInterp, _ code: TclObj) throws(TclError) -> Int32 {
        let result = Tcl_EvalObjEx(interp, code, 0)
        switch result {
        case TCL_OK, TCL_CONTINUE, TCL_BREAK: return result
        case TCL_ERROR:
            Tcl_AddErrorInfo(interp, "\n    (\"consume_batch\" body line \(Tcl_GetErrorLine(interp)))")
            throw TclError.passThrough(result)
        default: throw TclError.passThrough(result)
        }
    }
}

/// An offset word of `start`: a number first (N from the start, -N: N before the end), then
/// `beginning`, `end` or `stored`.
enum TclOffset {
    static func parse(_ args: TclArgs, _ i: Int) throws(TclError) -> KafkaOffset {
        var value: Tcl_WideInt = 0
        if Tcl_GetWideIntFromObj(nil, args[i], &value) == TCL_OK {
            if value >= 0 { return KafkaOffset(Int64(value)) }
            guard value >= -KafkaOffset.maximumTail else {
                throw TclError(
                    "bad offset \(value): at most \(KafkaOffset.maximumTail) messages from the end",
                    errorCode: ["TCL", "LOOKUP", "OFFSET", args.string(i)])
            }
            return .tail(-Int64(value))
        }
        switch args.string(i) {
        case "beginning": return .beginning
        case "end": return .end
        case "stored": return .stored
        default:
            throw TclError(
                "bad offsetString \"\(args.string(i))\": must be beginning, end, or stored or a wide integer",
                errorCode: ["TCL", "LOOKUP", "OFFSET", args.string(i)])
        }
    }
}
