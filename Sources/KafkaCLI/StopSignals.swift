import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM as a request to stop cleanly, for the commands that stream
/// (`kafka consume`, `kafka produce`).
///
/// The first signal runs the stop actions (ending a read loop); the command then writes out
/// what it holds, closes its client and exits with its own status (0 when all went well). A
/// second signal ends the process at once by that signal (the shell reports 130 or 143),
/// abandoning whatever is still in flight.
///
/// Readers blocked in `read(2)` watch ``wakeDescriptor`` with `poll(2)`: it becomes readable
/// on the first signal and stays so.
final class StopSignals: Sendable {
    private struct State {
        /// Whether the stop actions ran (on a signal or ``requestStop()``).
        var stopped = false
        var signal: Int32?
        var actions: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())
    /// Mirrors the state for the per-record checks: 0 running, 1 stopping, 2 abandoning.
    private let phase = Atomic<UInt8>(0)
    private let pipe: (read: Int32, write: Int32)
    /// Kept alive for the life of the command; touched only on `queue`.
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]
    private static let queue = DispatchQueue(label: "kafka.signals")

    /// Takes over SIGINT and SIGTERM; call before anything that must be stopped cleanly starts.
    init() {
        var fds: [Int32] = [-1, -1]
        if Foundation.pipe(&fds) != 0 { fatalError("kafka: cannot create a pipe: \(String(cString: strerror(errno)))") }
        pipe = (fds[0], fds[1])
        var sources: [any DispatchSourceSignal] = []
        for signal in [SIGINT, SIGTERM] {
            // Dispatch sees the signal even while its ordinary action is ignored (on Darwin it
            // must be: kqueue reports signals only alongside their action).
            Foundation.signal(signal, SIG_IGN)
            sources.append(DispatchSource.makeSignalSource(signal: signal, queue: Self.queue))
        }
        self.sources = sources
        for (source, signal) in zip(sources, [SIGINT, SIGTERM]) {
            source.setEventHandler { [weak self] in self?.received(signal) }
            source.resume()
        }
    }

    /// Whether a signal asked to stop: cheap enough to ask once per record.
    var isStopRequested: Bool { phase.load(ordering: .relaxed) != 0 }

    /// Whether the bound after the stop passed: what was read and not yet sent is dropped
    /// (and counted), so that a sender waiting for room in a queue nobody drains ends.
    var isAbandoned: Bool { phase.load(ordering: .relaxed) == 2 }

    /// The bound after the stop passed (see ``isAbandoned``). Call before freeing the queue
    /// (purging), so that a sender woken by the room sees it.
    func abandon() {
        phase.store(2, ordering: .sequentiallyConsistent)
    }

    /// The signal that asked to stop, if one did.
    var signal: Int32? { state.withLock { $0.signal } }

    /// Readable once a signal asked to stop.
    var wakeDescriptor: Int32 { pipe.read }

    /// Runs `action` on the first signal (at once if one already came).
    func onStop(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.stopped { return true }
            s.actions.append(action)
            return false
        }
        if now { action() }
    }

    /// Stops as a signal would, without one (the command found it cannot go on): the stop
    /// actions run, readers wake; ``signal`` stays nil, and a signal after it is the first.
    func requestStop() {
        let actions = state.withLock { s -> [@Sendable () -> Void] in
            guard !s.stopped else { return [] }
            s.stopped = true
            defer { s.actions = [] }
            return s.actions
        }
        wake(running: actions)
    }

    private func received(_ signal: Int32) {
        let actions = state.withLock { s -> [@Sendable () -> Void]? in
            guard s.signal == nil else { return nil }
            s.signal = signal
            s.stopped = true
            defer { s.actions = [] }
            return s.actions
        }
        guard let actions else {
            printError("kafka: \(Self.name(signal)) again: exiting at once")
            Self.end(by: signal)
        }
        wake(running: actions)
    }

    /// Runs the stop actions, then lets the readers see the stop: what they do next (a
    /// command's bound after the stop, say) is set by then.
    private func wake(running actions: [@Sendable () -> Void]) {
        for action in actions { action() }
        _ = phase.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing)
        var byte: UInt8 = 1
        _ = write(pipe.write, &byte, 1)
    }

    private static func end(by signal: Int32) -> Never {
        fflush(nil)
        Foundation.signal(signal, SIG_DFL)
        // Dispatch's threads block signals: unblock it here so that it takes effect at once.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        exit(128 + signal)
    }

    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
