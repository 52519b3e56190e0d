import Dispatch
import Foundation
import Synchronization

/// Reads a file (or standard input) on a thread of its own, in chunks of up to 1 MiB and at
/// most two chunks ahead of the caller. A read that blocks on a pipe or a terminal never holds
/// a task's thread, and a stop (``StopSignals``) ends it even while it waits: the thread
/// waits in `poll(2)` on the input and on the stop's descriptor, and reads no more once a stop
/// was asked. Chunks read before the stop are still handed over.
final class InputReader: Sendable {
    /// The chunks in order; a read error ends them.
    let chunks: AsyncStream<Result<[UInt8], CLIFailure>>
    /// Chunks the thread may read ahead. Made at 0 and raised: Dispatch refuses to destroy a
    /// semaphore below its initial value.
    private let permits = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)

    /// Whether a stop ended the input before its end (valid once ``chunks`` ended).
    var stoppedEarly: Bool { stopped.load(ordering: .acquiring) }

    /// Takes over `fd` (and closes it at the end, unless it is standard input).
    init(fd: Int32, path: String, stop: StopSignals) {
        let (chunks, continuation) = AsyncStream.makeStream(of: Result<[UInt8], CLIFailure>.self)
        self.chunks = chunks
        permits.signal()
        permits.signal()
        let permits = self.permits
        let wake = stop.wakeDescriptor
        let thread = Thread { [self] in
            defer {
                continuation.finish()
                if fd != 0 { close(fd) }
            }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            while true {
                permits.wait()
                var n = -1
                repeat {
                    if poll(&fds, 2, -1) < 0 {
                        if errno == EINTR { continue }
                        continuation.yield(.failure(CLIFailure.kafka("cannot read \(path): \(String(cString: strerror(errno)))")))
                        return
                    }
                    // A stop wins over more input.
                    if fds[1].revents != 0 {
                        stopped.store(true, ordering: .releasing)
                        return
                    }
                    let chunk = [UInt8](unsafeUninitializedCapacity: 1 << 20) { buffer, count in
                        n = read(fd, buffer.baseAddress, buffer.count)
                        count = max(n, 0)
                    }
                    if n > 0 {
                        continuation.yield(.success(chunk))
                    } else if n < 0 && errno != EINTR && errno != EAGAIN {
                        continuation.yield(.failure(CLIFailure.kafka("cannot read \(path): \(String(cString: strerror(errno)))")))
                        return
                    }
                } while n < 0
                if n == 0 { return }
            }
        }
        thread.name = "kafka.input"
        thread.start()
    }

    /// The caller is done with a chunk: the thread may read another.
    func taken() {
        permits.signal()
    }
}
