import CLibrdkafka

/// The delivery failures of one batch of reports, counted by code and handed to the metrics
/// when the code changes and at the end (a batch's failures usually share one code: a
/// timeout, a purge). Without metrics, ``add(_:)`` is a `nil` check.
struct RDKafkaFailureTally {
    let metrics: RDKafkaMetrics?
    private var code: Int32 = 0
    private var count = 0

    init(metrics: RDKafkaMetrics?) { self.metrics = metrics }

    @inline(__always)
    mutating func add(_ error: rd_kafka_resp_err_t) {
        guard let metrics else { return }
        if error.rawValue != code, count > 0 {
            metrics.deliveryFailed(code, count: count)
            count = 0
        }
        code = error.rawValue
        count += 1
    }

    mutating func flush() {
        guard let metrics, count > 0 else { return }
        metrics.deliveryFailed(code, count: count)
        count = 0
    }
}
