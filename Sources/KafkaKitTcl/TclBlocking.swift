import Dispatch

/// Runs KafkaKit's asynchronous calls for Tcl's synchronous commands (`consume`, `info`,
/// `delete` of a producer, ...): the interpreter's thread waits — as a Tcl command does —
/// while a task does the work. Never called on the cooperative pool.
enum TclBlocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    /// `@unchecked Sendable`: written by the task before the semaphore is signalled, read after.
    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }
}
