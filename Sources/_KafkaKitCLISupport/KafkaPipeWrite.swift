import Foundation

/// Writes all of `count` bytes at `bytes` to `fd`; the `errno` of a failed write, `nil` when
/// every byte was written. A reader that went away is `EPIPE`, never SIGPIPE: the signal is
/// held back on the calling thread for the write, and the one the write raised is taken
/// before the mask is restored. (SIG_IGN for the process is no option: Foundation's
/// `FileHandle.write` traps on EPIPE.)
package func kafkaWriteWithoutSIGPIPE(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int32? {
    var pipeSignal = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    var previous = sigset_t()
    pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    var offset = 0
    while offset < count {
        let n = write(fd, bytes + offset, count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 {
            let error = n < 0 ? errno : EIO
            if error == EPIPE {
                var none = timespec()
                while sigtimedwait(&pipeSignal, nil, &none) < 0 && errno == EINTR {}
            }
            return error
        }
        offset += n
    }
    return nil
}
