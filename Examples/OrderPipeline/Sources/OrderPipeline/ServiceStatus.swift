import Synchronization

/// What `GET /health` reports: the pipeline's lifecycle and counts, behind one lock.
final class ServiceStatus: Sendable {
    enum Pipeline: String, Sendable { case starting, running, stopping, stopped, failed }

    struct Snapshot: Sendable, Encodable {
        var http = "running"
        var pipeline = Pipeline.starting.rawValue
        var pipelineError: String?
        var ordersAccepted = 0
        var ordersFailed = 0
        var ordersProcessed = 0
        var transactionsCommitted = 0
        var producerQueue = 0
    }

    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }
    var isHealthy: Bool { state.withLock { $0.pipeline == Pipeline.running.rawValue && $0.http == "running" } }

    func pipelineStarted() { state.withLock { $0.pipeline = Pipeline.running.rawValue } }
    func pipelineStopping() { state.withLock { $0.pipeline = Pipeline.stopping.rawValue } }
    func pipelineStopped() { state.withLock { $0.pipeline = Pipeline.stopped.rawValue } }
    func pipelineFailed(_ reason: String) {
        state.withLock {
            $0.pipeline = Pipeline.failed.rawValue
            $0.pipelineError = reason
        }
    }
    func httpStopping() { state.withLock { $0.http = "stopping" } }
    func orderAccepted() { state.withLock { $0.ordersAccepted += 1 } }
    func orderFailed() { state.withLock { $0.ordersFailed += 1 } }
    func batchCommitted(records: Int) {
        state.withLock {
            $0.ordersProcessed += records
            $0.transactionsCommitted += 1
        }
    }
}
