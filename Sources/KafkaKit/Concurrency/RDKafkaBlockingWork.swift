/// Runs a blocking librdkafka call (flush, close, metadata, ...) on the shared
/// ``RDKafkaBlockingExecutor``, never on the cooperative pool, and resumes the caller when done.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await RDKafkaBlockingExecutor.shared.run(body)
}

/// The body of a blocking call, released by the pool thread before its caller resumes.
///
/// Had the pool thread still held the body after resuming the caller, a client captured by the
/// body could be released last there, after the caller went on — and `rd_kafka_destroy` run
/// while the program, its work done, was exiting (a crash seen as `kafka topics create` exiting
/// with SIGSEGV about one run in thirty). Released here, the last reference to what the body
/// captured is the caller's own, let go as the caller goes on.
///
/// `@unchecked Sendable`: read and cleared once, by the one thread that runs it.
final class RDKafkaBlockingWork<T: Sendable>: @unchecked Sendable {
    private var body: (@Sendable () -> T)?

    init(_ body: @escaping @Sendable () -> T) { self.body = body }

    func run() -> T {
        let result = body!()
        body = nil
        return result
    }
}
