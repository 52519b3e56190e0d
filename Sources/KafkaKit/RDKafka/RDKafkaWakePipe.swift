import CLibrdkafka
import Foundation

/// A pipe a thread sleeps on: librdkafka writes to it when a queue goes from empty to
/// non-empty (`rd_kafka_queue_io_event_enable`), and ``wake()`` writes to it from anywhere.
/// Keeps the queue alive, and detaches from it before closing.
///
/// `@unchecked Sendable`: file descriptors are plain integers used with thread-safe syscalls.
final class RDKafkaWakePipe: @unchecked Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32
    private let queue: RDKafkaQueue

    init(queue: RDKafkaQueue) throws(KafkaError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw KafkaError(code: .failure, message: "cannot create a wake-up pipe (errno \(errno))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        (readEnd, writeEnd) = (fds[0], fds[1])
        self.queue = queue
        var byte: UInt8 = 1
        rd_kafka_queue_io_event_enable(queue.handle, writeEnd, &byte, 1)
    }

    deinit {
        rd_kafka_queue_io_event_enable(queue.handle, -1, nil, 0)
        close(readEnd)
        close(writeEnd)
    }

    /// Makes the sleeping thread return from ``wait(milliseconds:)``.
    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)  // a full pipe is already readable: nothing lost
    }

    /// Sleeps until woken or `milliseconds` pass, then empties the pipe. `true` if it was
    /// woken — or if a wake-up came just after the time passed: a byte drained counts, since
    /// librdkafka writes only once until its queue is served.
    @discardableResult
    func wait(milliseconds: Int32) -> Bool {
        var fd = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        var woken = poll(&fd, 1, milliseconds) > 0
        var sink: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while withUnsafeMutableBytes(of: &sink, { read(readEnd, $0.baseAddress, $0.count) }) > 0 { woken = true }
        return woken
    }
}
