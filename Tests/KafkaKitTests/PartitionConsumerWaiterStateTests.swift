import Testing

@testable import KafkaKit

/// The state machine behind the partition consumer's waits, without librdkafka.
@Suite("Partition consumer wait state")
struct PartitionConsumerWaiterStateTests {
    typealias State = RDKafkaQueueWaiterState<String>

    @Test("a wake-up between a reader's look and its wait is not lost")
    func wakeBetweenLookAndWait() {
        var state = State()
        let seen = state.generation
        #expect(state.signal().isEmpty)  // the queue filled after the empty take
        let id = state.makeID()
        guard case .resume(.ready) = state.wait(id: id, after: seen, isCancelled: false, "reader") else {
            Issue.record("the reader looks again at once")
            return
        }
        #expect(state.waiting == 0)
    }

    @Test("a wake-up resumes every waiter once; a later expiry or cancellation finds nothing")
    func signalResumesAll() {
        var state = State()
        let seen = state.generation
        let a = state.makeID(), b = state.makeID()
        guard case .suspend = state.wait(id: a, after: seen, isCancelled: false, "a"),
              case .suspend = state.wait(id: b, after: seen, isCancelled: false, "b")
        else {
            Issue.record("both wait")
            return
        }
        #expect(state.waiting == 2)
        #expect(state.signal().sorted() == ["a", "b"])
        #expect(state.expire(id: a) == nil && state.cancel(id: b) == nil, "each is resumed exactly once")
        #expect(state.signal().isEmpty)
    }

    @Test("expiry and cancellation resume only their own waiter")
    func expiryAndCancellation() {
        var state = State()
        let seen = state.generation
        let a = state.makeID(), b = state.makeID(), c = state.makeID()
        for (id, name) in [(a, "a"), (b, "b"), (c, "c")] { _ = state.wait(id: id, after: seen, isCancelled: false, name) }
        #expect(state.expire(id: a) == "a")
        #expect(state.cancel(id: b) == "b")
        #expect(state.expire(id: a) == nil)
        #expect(state.signal() == ["c"])
    }

    @Test("a task cancelled before it registers does not wait")
    func cancelledBeforeWaiting() {
        var state = State()
        let id = state.makeID()
        #expect(state.cancel(id: id) == nil)  // the handler ran first and found nothing
        guard case .resume(.cancelled) = state.wait(id: id, after: state.generation, isCancelled: true, "late") else {
            Issue.record("the registration sees the cancellation")
            return
        }
        #expect(state.waiting == 0)
    }

    @Test("close resumes every waiter once; later waits return at once; closing twice does nothing")
    func close() {
        var state = State()
        let seen = state.generation
        let a = state.makeID()
        _ = state.wait(id: a, after: seen, isCancelled: false, "a")
        #expect(state.close() == ["a"])
        #expect(state.close() == nil)
        guard case .resume(.closed) = state.wait(id: state.makeID(), after: state.generation, isCancelled: false, "later") else {
            Issue.record("a closed waiter does not wait")
            return
        }
        #expect(state.expire(id: a) == nil)
    }
}
