import Testing

@testable import KafkaKit

/// Every rule of ``ProducerTransactionStateMachine``, without a broker: librdkafka's answers
/// are given as errors built the way `KafkaError(consuming:)` builds them.
@Suite("ProducerTransactionStateMachine")
struct ProducerTransactionStateMachineTests {
    typealias Machine = ProducerTransactionStateMachine
    typealias Operation = Machine.Operation

    static let timedOut = KafkaError(code: .timedOut, message: "Timed out", isRetriable: true)
    static let abortable = KafkaError(code: .messageTimedOut, message: "1 message(s) failed delivery", requiresAbort: true)
    static let fenced = KafkaError(code: .fenced, message: "Producer fenced by newer instance", isFatal: true)

    /// Starts `operation`, which must be allowed, and reports `error` as librdkafka's answer.
    @discardableResult
    func run(_ machine: inout Machine, _ operation: Operation, error: KafkaError? = nil) -> KafkaError? {
        guard case .call = machine.start(operation) else {
            Issue.record("\(operation.rawValue) was refused in \(machine.state)")
            return nil
        }
        return machine.finished(operation, error: error)
    }

    /// The error `operation` is refused with; records an issue if it is allowed.
    func refusal(_ machine: inout Machine, _ operation: Operation) -> KafkaError? {
        let before = machine.state
        guard case .fail(let error) = machine.start(operation) else {
            Issue.record("\(operation.rawValue) was allowed in \(before)")
            return nil
        }
        #expect(machine.state == before, "a refused call changes nothing")
        return error
    }

    func inTransaction() -> Machine {
        var machine = Machine(transactional: true)
        run(&machine, .initTransactions)
        run(&machine, .beginTransaction)
        return machine
    }

    @Test("the happy path: init, begin, send offsets, commit, begin again, abort")
    func happyPath() {
        var machine = Machine(transactional: true)
        #expect(machine.state == .uninitialized)
        #expect(!machine.acceptsSends)
        #expect(machine.start(.initTransactions) == .call)
        #expect(machine.state == .initializing)
        #expect(machine.finished(.initTransactions, error: nil) == nil)
        #expect(machine.state == .ready)
        #expect(!machine.acceptsSends)
        #expect(machine.start(.beginTransaction) == .call)
        #expect(machine.state == .beginning)
        #expect(!machine.acceptsSends, "no sends until librdkafka has begun the transaction")
        #expect(machine.finished(.beginTransaction, error: nil) == nil)
        #expect(machine.state == .inTransaction(sendingOffsets: false))
        #expect(machine.acceptsSends)
        #expect(machine.start(.sendOffsets) == .call)
        #expect(machine.acceptsSends, "records may still be sent while offsets are sent")
        #expect(machine.finished(.sendOffsets, error: nil) == nil)
        #expect(machine.start(.commit) == .call)
        #expect(machine.state == .committing(inProgress: true))
        #expect(!machine.acceptsSends)
        #expect(machine.finished(.commit, error: nil) == nil)
        #expect(machine.state == .ready)
        run(&machine, .beginTransaction)
        #expect(machine.start(.abort) == .call)
        #expect(machine.state == .aborting(inProgress: true))
        #expect(!machine.acceptsSends)
        #expect(machine.finished(.abort, error: nil) == nil)
        #expect(machine.state == .ready)
    }

    @Test("a producer without transactional.id refuses every transaction call, naming the property")
    func notTransactional() throws {
        var machine = Machine(transactional: false)
        for operation in [Operation.initTransactions, .beginTransaction, .sendOffsets, .commit, .abort] {
            let error = try #require(refusal(&machine, operation))
            #expect(error.code == .notConfigured)
            #expect(error.property == "transactional.id")
            #expect(error.message.contains(operation.rawValue))
        }
        #expect(machine.shutdown() == .none)
    }

    @Test("calls before initTransactions say to call it first; sends say so too")
    func beforeInit() throws {
        var machine = Machine(transactional: true)
        for operation in [Operation.beginTransaction, .sendOffsets, .commit, .abort] {
            let error = try #require(refusal(&machine, operation))
            #expect(error.code == .invalidState)
            #expect(error.message.contains("call initTransactions() first"))
        }
        let send = machine.sendRefusal(topic: "t")
        #expect(send.code == .invalidState)
        #expect(send.topic == "t")
        #expect(send.message.contains("initTransactions()"))
    }

    @Test("initTransactions twice: refused while it runs and after it succeeded")
    func initTwice() throws {
        var machine = Machine(transactional: true)
        #expect(machine.start(.initTransactions) == .call)
        let running = try #require(refusal(&machine, .initTransactions))
        #expect(running.code == .conflict)
        #expect(running.message.contains("initTransactions() is still running"))
        #expect(machine.finished(.initTransactions, error: nil) == nil)
        let again = try #require(refusal(&machine, .initTransactions))
        #expect(again.code == .invalidState)
        #expect(again.message.contains("already done"))
        run(&machine, .beginTransaction)
        #expect(refusal(&machine, .initTransactions)?.code == .invalidState)
    }

    @Test("a failed initTransactions may be called again")
    func initRetried() {
        var machine = Machine(transactional: true)
        #expect(run(&machine, .initTransactions, error: Self.timedOut) == Self.timedOut)
        #expect(machine.state == .uninitialized)
        run(&machine, .initTransactions)
        #expect(machine.state == .ready)
    }

    @Test("begin twice, and commit or abort without begin, are refused with what to do")
    func outOfOrder() throws {
        var machine = Machine(transactional: true)
        run(&machine, .initTransactions)
        for operation in [Operation.commit, .abort, .sendOffsets] {
            let error = try #require(refusal(&machine, operation))
            #expect(error.code == .invalidState)
            #expect(error.message.contains("no transaction is open: call beginTransaction() first"))
        }
        #expect(machine.sendRefusal(topic: nil).message.contains("call beginTransaction() first"))
        run(&machine, .beginTransaction)
        let twice = try #require(refusal(&machine, .beginTransaction))
        #expect(twice.code == .invalidState)
        #expect(twice.message.contains("a transaction is already open"))
    }

    @Test("one call at a time: a second commit, an abort or offsets during a commit are conflicts")
    func concurrentCalls() throws {
        var machine = inTransaction()
        #expect(machine.start(.commit) == .call)
        for operation in [Operation.commit, .abort, .sendOffsets, .beginTransaction] {
            let error = try #require(refusal(&machine, operation))
            #expect(error.code == .conflict)
            #expect(error.message.contains("commitTransaction() is still running"))
        }
        #expect(machine.sendRefusal(topic: nil).message.contains("being committed"))
        #expect(machine.finished(.commit, error: nil) == nil)

        run(&machine, .beginTransaction)
        #expect(machine.start(.sendOffsets) == .call)
        for operation in [Operation.commit, .abort, .sendOffsets] {
            #expect(refusal(&machine, operation)?.code == .conflict)
        }
        #expect(machine.finished(.sendOffsets, error: nil) == nil)

        #expect(machine.start(.abort) == .call)
        for operation in [Operation.commit, .abort, .beginTransaction] {
            #expect(refusal(&machine, operation)?.message.contains("abortTransaction() is still running") == true)
        }
        #expect(machine.sendRefusal(topic: nil).message.contains("being aborted"))
    }

    @Test("begin while begin runs is a conflict; a failed begin leaves no transaction")
    func beginning() {
        var machine = Machine(transactional: true)
        run(&machine, .initTransactions)
        #expect(machine.start(.beginTransaction) == .call)
        #expect(refusal(&machine, .beginTransaction)?.code == .conflict)
        #expect(refusal(&machine, .commit)?.code == .conflict)
        let failure = KafkaError(code: .invalidState, message: "Operation not valid in state Ready")
        #expect(machine.finished(.beginTransaction, error: failure) == failure)
        #expect(machine.state == .ready)
    }

    @Test("a retriable commit error: only another commit may follow, and it resumes the commit")
    func commitRetried() throws {
        var machine = inTransaction()
        let error = try #require(run(&machine, .commit, error: Self.timedOut))
        #expect(error.isRetriable)
        #expect(error.message.contains("call commitTransaction() again"))
        #expect(machine.state == .committing(inProgress: false))
        #expect(!machine.acceptsSends)
        let abort = try #require(refusal(&machine, .abort))
        #expect(abort.code == .invalidState)
        #expect(abort.message.contains("cannot abort a transaction whose commit has begun"))
        #expect(refusal(&machine, .beginTransaction)?.message.contains("call commitTransaction() again") == true)
        #expect(run(&machine, .commit) == nil)
        #expect(machine.state == .ready)
    }

    @Test("a commit error that requires abort: only abort is allowed, every other call says so")
    func commitNeedsAbort() throws {
        var machine = inTransaction()
        let error = try #require(run(&machine, .commit, error: Self.abortable))
        #expect(error.requiresAbort)
        #expect(error.message.contains("call abortTransaction()"))
        #expect(machine.state == .needsAbort(Self.abortable))
        for operation in [Operation.commit, .sendOffsets, .beginTransaction] {
            let refused = try #require(refusal(&machine, operation))
            #expect(refused.requiresAbort)
            #expect(refused.code == Self.abortable.code)
            #expect(refused.message.contains("must be aborted"))
        }
        let send = machine.sendRefusal(topic: "t")
        #expect(send.requiresAbort)
        #expect(send.topic == "t")
        #expect(run(&machine, .abort) == nil)
        #expect(machine.state == .ready)
    }

    @Test("offsets refused with requires-abort put the transaction in needsAbort; a retriable failure keeps it open")
    func sendOffsetsFailures() {
        var machine = inTransaction()
        #expect(run(&machine, .sendOffsets, error: Self.timedOut)?.isRetriable == true)
        #expect(machine.state == .inTransaction(sendingOffsets: false))
        #expect(run(&machine, .sendOffsets, error: Self.abortable)?.requiresAbort == true)
        #expect(machine.state == .needsAbort(Self.abortable))
    }

    @Test("a failed abort must be finished by aborting again")
    func abortRetried() throws {
        var machine = inTransaction()
        let error = try #require(run(&machine, .abort, error: Self.timedOut))
        #expect(error.message.contains("call abortTransaction() again"))
        #expect(machine.state == .aborting(inProgress: false))
        #expect(refusal(&machine, .commit)?.message.contains("call abortTransaction() again") == true)
        #expect(refusal(&machine, .beginTransaction)?.code == .invalidState)
        #expect(run(&machine, .abort) == nil)
        #expect(machine.state == .ready)
    }

    @Test("a fatal error from a call: every later call and send fails with it, saying the producer was fenced")
    func fatalFromCall() throws {
        var machine = inTransaction()
        let error = try #require(run(&machine, .commit, error: Self.fenced))
        #expect(error.isFatal)
        #expect(error.isFenced)
        #expect(error.message.contains("fenced"))
        #expect(error.message.contains("create a new producer"))
        for operation in [Operation.initTransactions, .beginTransaction, .sendOffsets, .commit, .abort] {
            let refused = try #require(refusal(&machine, operation))
            #expect(refused.isFatal)
            #expect(refused.code == .fenced)
            #expect(refused.message.hasPrefix(operation.rawValue))
        }
        #expect(machine.sendRefusal(topic: nil).isFatal)
        #expect(!machine.acceptsSends)
    }

    @Test("a record refused as PRODUCER_FENCED (abortable for librdkafka) makes the producer fatal at once")
    func producerFencedIsFatal() throws {
        var machine = inTransaction()
        let refused = KafkaError(code: .producerFenced, message: "ProduceRequest failed: Broker: There is a newer producer", requiresAbort: true)
        let error = try #require(run(&machine, .commit, error: refused))
        #expect(error.isFatal)
        #expect(!error.requiresAbort)
        #expect(error.isFenced)
        #expect(error.message.contains("create a new producer"))
        #expect(machine.state == .fatal(refused))
        #expect(refusal(&machine, .abort)?.isFatal == true)
        // An epoch refused without more may be a coordinator's timeout, which an abort recovers from.
        var timedOut = inTransaction()
        let epoch = KafkaError(code: .invalidProducerEpoch, message: "epoch", requiresAbort: true)
        #expect(run(&timedOut, .commit, error: epoch)?.requiresAbort == true)
        #expect(timedOut.state == .needsAbort(epoch))
        #expect(!epoch.isFenced)
    }

    @Test("a fatal error raised by librdkafka meanwhile: the running call and all later ones report it")
    func fatalRaised() {
        var machine = inTransaction()
        #expect(machine.start(.commit) == .call)
        machine.fatalErrorRaised(Self.fenced)
        #expect(!machine.acceptsSends)
        // The commit's own answer is a plain failure; the fatal error explains it.
        let answer = machine.finished(.commit, error: KafkaError(code: .invalidState, message: "Operation not valid"))
        #expect(answer?.isFatal == true)
        #expect(answer?.code == .fenced)
        #expect(machine.state == .fatal(Self.fenced))
        // A succeeded call is still reported as such.
        var other = inTransaction()
        #expect(other.start(.sendOffsets) == .call)
        other.fatalErrorRaised(Self.fenced)
        #expect(other.finished(.sendOffsets, error: nil) == nil)
        #expect(other.state == .fatal(Self.fenced))
    }

    @Test("shutdown aborts an open transaction, and a transaction that must be aborted")
    func shutdownAborts() {
        var open = inTransaction()
        #expect(open.shutdown() == .abort)
        #expect(open.state == .shutDown)
        #expect(!open.acceptsSends)
        #expect(open.shutdown() == .none, "only the first shutdown aborts")

        var failed = inTransaction()
        run(&failed, .commit, error: Self.abortable)
        #expect(failed.shutdown() == .abort)

        var interrupted = inTransaction()
        run(&interrupted, .abort, error: Self.timedOut)
        #expect(interrupted.shutdown() == .abort)
    }

    @Test("shutdown with nothing open has nothing to abort")
    func shutdownIdle() {
        var fresh = Machine(transactional: true)
        #expect(fresh.shutdown() == .none)
        var ready = Machine(transactional: true)
        run(&ready, .initTransactions)
        #expect(ready.shutdown() == .none)
        var fatal = inTransaction()
        run(&fatal, .commit, error: Self.fenced)
        #expect(fatal.shutdown() == .none)
        #expect(fatal.state == .shutDown)
    }

    @Test("shutdown while a call runs waits for it: no call starts meanwhile, then it acts on what the call left")
    func shutdownDuringCall() throws {
        // A commit that then requires an abort: shutdown aborts it.
        var committing = inTransaction()
        #expect(committing.start(.commit) == .call)
        #expect(committing.shutdown() == .waitForCall(.commit))
        #expect(committing.shutdownWaits)
        #expect(!committing.acceptsSends)
        let refused = try #require(refusal(&committing, .abort))
        #expect(refused.code == .destroyed, "no call starts while shutdown waits")
        let answer = committing.finished(.commit, error: Self.abortable)
        let failed = try #require(answer)
        #expect(failed.requiresAbort)
        #expect(failed.message.contains("its shutdown aborts the transaction"), "\(failed.message)")
        #expect(committing.shutdown() == .abort)
        #expect(committing.state == .shutDown)
        #expect(!committing.shutdownWaits)

        // A commit that succeeds: nothing left to do.
        var succeeds = inTransaction()
        #expect(succeeds.start(.commit) == .call)
        #expect(succeeds.shutdown() == .waitForCall(.commit))
        #expect(succeeds.finished(.commit, error: nil) == nil)
        #expect(succeeds.shutdown() == .none)
        #expect(succeeds.state == .shutDown)

        // A commit that times out: shutdown resumes it.
        var timesOut = inTransaction()
        #expect(timesOut.start(.commit) == .call)
        #expect(timesOut.shutdown() == .waitForCall(.commit))
        let timedOutAnswer = timesOut.finished(.commit, error: Self.timedOut)
        let timedOut = try #require(timedOutAnswer)
        #expect(timedOut.message.contains("its shutdown resumes the commit"))
        #expect(timesOut.shutdown() == .resumeCommit)

        // Offsets being sent, then the transaction is open: shutdown aborts it.
        var offsets = inTransaction()
        #expect(offsets.start(.sendOffsets) == .call)
        #expect(offsets.shutdown() == .waitForCall(.sendOffsets))
        #expect(!offsets.acceptsSends, "no sends while shutdown waits")
        #expect(offsets.finished(.sendOffsets, error: Self.timedOut) == Self.timedOut)
        #expect(offsets.shutdown() == .abort)

        // An abort that runs: once it succeeded there is nothing to do.
        var aborting = inTransaction()
        #expect(aborting.start(.abort) == .call)
        #expect(aborting.shutdown() == .waitForCall(.abort))
        #expect(aborting.finished(.abort, error: nil) == nil)
        #expect(aborting.shutdown() == .none)
    }

    @Test("shutdown's time runs out while a call runs: the transaction is left to the call, which still gets its answer")
    func shutdownGivesUpWaiting() throws {
        var committing = inTransaction()
        #expect(committing.start(.commit) == .call)
        #expect(committing.shutdown() == .waitForCall(.commit))
        guard case .leave(let reason) = committing.shutdownGaveUpWaiting() else {
            Issue.record("expected the transaction to be left to the running commit")
            return
        }
        #expect(reason.message.contains("commitTransaction() was still running"))
        #expect(committing.state == .shutDown)
        #expect(!committing.shutdownWaits)
        // The commit's own result still reaches its caller.
        #expect(committing.finished(.commit, error: Self.abortable) == Self.abortable)
        #expect(committing.state == .shutDown)

        // The call ended just as the time ran out: act as after waiting.
        var ended = inTransaction()
        #expect(ended.start(.commit) == .call)
        #expect(ended.shutdown() == .waitForCall(.commit))
        _ = ended.finished(.commit, error: Self.abortable)
        #expect(ended.shutdownGaveUpWaiting() == .abort)
    }

    @Test("a commit that timed out is resumed at shutdown: librdkafka does not finish it by itself")
    func shutdownResumesTimedOutCommit() throws {
        var begun = inTransaction()
        let error = try #require(run(&begun, .commit, error: Self.timedOut))
        #expect(error.isRetriable)
        #expect(error.message.contains("does not go on by itself"), "\(error.message)")
        #expect(!error.message.contains("background"))
        #expect(begun.shutdown() == .resumeCommit)
        #expect(begun.state == .shutDown)
    }

    @Test("librdkafka refusing a send inside a transaction: needsAbort, and send, begin and commit say to abort")
    func librdkafkaFailedTheTransaction() throws {
        var machine = inTransaction()
        let librdkafka = KafkaError(code: .invalidState, message: "Producing not allowed in transactional state AbortableError")
        let send = machine.librdkafkaRefusedSend(librdkafka, topic: "t")
        #expect(send.requiresAbort)
        #expect(!send.isRetriable)
        #expect(send.message.contains("the transaction failed and must be aborted: call abortTransaction()"), "\(send.message)")
        #expect(send.topic == "t")
        guard case .needsAbort = machine.state else {
            Issue.record("expected needsAbort, got \(machine.state)")
            return
        }
        #expect(!machine.acceptsSends)
        let commit = try #require(refusal(&machine, .commit))
        #expect(commit.requiresAbort)
        #expect(machine.sendRefusal(topic: "t").requiresAbort)
        #expect(run(&machine, .abort) == nil)
        #expect(machine.state == .ready)

        // A send that raced a commit (librdkafka names a committing state): the transaction
        // is not marked failed.
        var racing = inTransaction()
        let raced = racing.librdkafkaRefusedSend(
            KafkaError(code: .invalidState, message: "Producing not allowed in transactional state CommittingTransaction"), topic: "t")
        #expect(!raced.requiresAbort)
        #expect(racing.state == .inTransaction(sendingOffsets: false))
    }

    @Test("after shutdown every call fails with destroyed, and sends too")
    func afterShutdown() throws {
        var machine = inTransaction()
        _ = machine.shutdown()
        for operation in [Operation.initTransactions, .beginTransaction, .sendOffsets, .commit, .abort] {
            let error = try #require(refusal(&machine, operation))
            #expect(error.code == .destroyed)
        }
        #expect(machine.sendRefusal(topic: "t").code == .destroyed)
    }

    @Test("the error flags show in descriptions; the public state names the machine's state")
    func errorFlags() {
        #expect(!KafkaError(code: .fatal, message: "x").requiresAbort)
        let fenced = KafkaError(code: .fenced, message: "fenced", isFatal: true)
        #expect(fenced.isFenced)
        #expect(fenced.description.contains("fatal"))
        #expect(KafkaError(code: .timedOut, message: "t", requiresAbort: true).description.contains("requires abort"))
        #expect(KafkaTransactionState(.inTransaction(sendingOffsets: true)) == .inTransaction)
        #expect(KafkaTransactionState(.needsAbort(Self.abortable)).description == "needsAbort")
    }
}
